//! `hotline-qa import`: speech-recognition results of each service, joined
//! with a GBK call list, become spec §1.1 transcripts with the roles and
//! times right; failed and empty tasks are rejects with the service's
//! message; and samples/calls.jsonl exported to each service's shape and
//! imported back scores exactly as the original.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn hq(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run hotline-qa")
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// (speaker, start, end) of each utterance.
fn turns(call: &Value) -> Vec<(String, f64, f64)> {
    call["utterances"]
        .as_array()
        .expect("utterances")
        .iter()
        .map(|u| {
            (
                u["speaker"].as_str().expect("speaker").to_string(),
                u["start"].as_f64().expect("start"),
                u["end"].as_f64().expect("end"),
            )
        })
        .collect()
}

fn t(s: &str, a: f64, b: f64) -> (String, f64, f64) {
    (s.to_string(), a, b)
}

#[test]
fn each_services_fixtures_import_with_roles_times_and_rejects_right() {
    for vendor in [
        "aliyun", "tencent", "huawei", "iflytek", "funasr", "whisper",
    ] {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = tmp.path().join("calls.jsonl");
        let data = root().join("tests/data/asr");
        let o = hq(
            &[
                "import",
                "--from",
                vendor,
                data.join(vendor).to_str().expect("path"),
                "--calls",
                data.join("通话记录-gbk.csv").to_str().expect("path"),
                "--out",
                out.to_str().expect("path"),
            ],
            tmp.path(),
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{vendor}: {stderr}");
        let calls = lines(&out);
        assert_eq!(calls.len(), 2, "{vendor}: {calls:?}");
        // Dual channel: channel 1 is the agent's (坐席声道 = 右), though the
        // agent never says 市长热线; listed by channel, written in time order.
        let dual = &calls[0];
        assert_eq!(dual["call_id"], "20261127-900001", "{vendor}");
        assert_eq!(dual["operator_name"], "王芳");
        assert_eq!(dual["started_at"], "2026-11-27T09:15:02+08:00");
        assert_eq!(dual["caller_number"], "13800000001");
        assert_eq!(dual["ended_by"], "agent");
        assert_eq!(
            turns(dual),
            vec![
                t("caller", 0.3, 0.7),
                t("agent", 0.9, 2.4),
                t("caller", 3.0, 8.2),
                t("agent", 9.0, 12.5)
            ],
            "{vendor}"
        );
        // Diarised mono: speaker 1 greets, so it is the agent, though
        // speaker 0 speaks first; the row named the recording with a folder.
        let mono = &calls[1];
        assert_eq!(mono["call_id"], "20261127-900002");
        assert_eq!(mono["ended_by"], "caller");
        assert_eq!(
            turns(mono),
            vec![
                t("caller", 0.2, 0.6),
                t("agent", 0.8, 4.1),
                t("caller", 4.6, 8.0),
                t("agent", 8.5, 10.2)
            ],
            "{vendor}"
        );
        assert_eq!(
            mono["utterances"][1]["text"],
            "您好！市长热线，请问有什么可以帮到您？"
        );
        assert!(stderr.contains("话务员不是先开口的 1 通"), "{stderr}");
        // The failed and the empty task, and the listed call without a
        // result, are rejects with the service's own words.
        let rejects = common::table(&tmp.path().join("calls.jsonl.rejects.csv"));
        let reason = |id: &str| -> String {
            rejects
                .iter()
                .find(|r| r["record_id"] == id)
                .map(|r| r["reason"].clone())
                .unwrap_or_else(|| panic!("{vendor}: no reject for {id}: {rejects:?}"))
        };
        assert_eq!(rejects.len(), 3, "{vendor}: {rejects:?}");
        let (failed, empty) = match vendor {
            "aliyun" => ("FILE_DOWNLOAD_FAILED", "SUCCESS_WITH_NO_VALID_FRAGMENT"),
            "tencent" => ("Failed to download audio file!", "结果是空的"),
            "huawei" => ("connect to obs failed", "结果是空的"),
            "iflytek" => ("failType 2 音频转码失败", "结果是空的"),
            "whisper" => ("Invalid data found", "结果是空的"),
            _ => ("audio decode failed", "结果是空的"),
        };
        assert!(reason("20261127-900003").contains(failed), "{vendor}");
        assert!(reason("20261127-900004").contains(empty), "{vendor}");
        assert!(
            reason("20261127-900005").contains("没有它的录音"),
            "{vendor}"
        );
        assert!(rejects.iter().all(|r| r["file"].contains("failed.json")
            || r["file"].contains("empty.json")
            || r["file"].contains("通话记录")));
    }
}

#[test]
fn an_out_that_is_an_input_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = root().join("tests/data/asr");
    let result = tmp.path().join("mono.json");
    std::fs::copy(data.join("aliyun/mono.json"), &result).expect("copy");
    let before = std::fs::read(&result).expect("read");
    let calls = data.join("通话记录-gbk.csv");
    let o = hq(
        &[
            "import",
            "--from",
            "aliyun",
            "mono.json",
            "--calls",
            calls.to_str().expect("path"),
            "--out",
            "mono.json",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("是输入文件"));
    assert_eq!(std::fs::read(&result).expect("read"), before);
    // Must not: the same command with another --out is refused.
    let o = hq(
        &[
            "import",
            "--from",
            "aliyun",
            "mono.json",
            "--calls",
            calls.to_str().expect("path"),
            "--out",
            "calls.jsonl",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_result_of_another_service_is_rejected_not_read_as_empty() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = root().join("tests/data/asr");
    let o = hq(
        &[
            "import",
            "--from",
            "tencent",
            data.join("aliyun/mono.json").to_str().expect("path"),
            "--calls",
            data.join("通话记录-gbk.csv").to_str().expect("path"),
            "--out",
            "calls.jsonl",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "nothing usable");
    let rejects = common::table(&tmp.path().join("calls.jsonl.rejects.csv"));
    assert!(
        rejects[0]["reason"].contains("不是腾讯云录音文件识别的结果"),
        "{rejects:?}"
    );
}

/// samples/calls.jsonl in the shape `vendor` writes, one result file per
/// call, with the agent on channel 0; and the call list. Calls with a
/// unit on the line are left out: no service tells a third speaker from
/// the caller.
fn export(vendor: &str, calls: &[Value], dir: &Path) {
    let results = dir.join("results");
    std::fs::create_dir_all(&results).expect("mkdir");
    let mut list = String::from("录音文件,通话编号,坐席工号,坐席姓名,班组,开始时间,挂机方\n");
    for (i, c) in calls.iter().enumerate() {
        let rec = format!("rec{i:04}");
        let ms = |v: &Value| (v.as_f64().expect("time") * 1000.0).round() as i64;
        let rows: Vec<(i64, i64, i64, &str)> = c["utterances"]
            .as_array()
            .expect("utterances")
            .iter()
            .map(|u| {
                let ch = if u["speaker"] == "agent" { 0 } else { 1 };
                (
                    ch,
                    ms(&u["start"]),
                    ms(&u["end"]),
                    u["text"].as_str().expect("text"),
                )
            })
            .collect();
        // The confidence each utterance carries, for the one service that
        // reports one per sentence (iFlytek's sc; 0.00 where it has none).
        let scores: Vec<String> = c["utterances"]
            .as_array()
            .expect("utterances")
            .iter()
            .map(|u| {
                u["confidence"]
                    .as_f64()
                    .map_or("0.00".into(), |c| c.to_string())
            })
            .collect();
        let doc = match vendor {
            "aliyun" => {
                json!({"TaskId": format!("task{i}"), "StatusCode": 21050000, "StatusText": "SUCCESS",
                "Result": {"Sentences": rows.iter().map(|(c, b, e, t)| json!({"ChannelId": c, "BeginTime": b,
                    "EndTime": e, "Text": t, "SpeechRate": 200, "EmotionValue": 6.0, "SilenceDuration": 0})).collect::<Vec<_>>()}})
            }
            "tencent" => {
                json!({"Response": {"RequestId": "r", "Data": {"TaskId": 1000 + i, "Status": 2, "StatusStr": "success",
                "ErrorMsg": "", "ResultDetail": rows.iter().map(|(c, b, e, t)| json!({"FinalSentence": t, "StartMs": b,
                    "EndMs": e, "SpeakerId": c, "SpeechSpeed": 4.0, "SilenceTime": 0})).collect::<Vec<_>>()}}})
            }
            // Huawei names the roles itself (need_analysis_info.channel).
            "huawei" => {
                json!({"status": "FINISHED", "audio_duration": 0, "segments": rows.iter().map(|(c, b, e, t)|
                    json!({"start_time": b, "end_time": e, "result": {"text": t, "analysis_info":
                        {"role": if *c == 0 { "AGENT" } else { "USER" }, "emotion": "NORMAL", "speed": 4.0}}}))
                    .collect::<Vec<_>>()})
            }
            // iFlytek: each sentence's words, a character each, in a
            // json_1best string inside the orderResult string; the roles
            // on tracks (role 1 on the left, channel 0).
            "iflytek" => {
                let lattice: Vec<Value> = rows.iter().zip(&scores).map(|((c, b, e, t), sc)| {
                    let ws: Vec<Value> = t.chars().map(|ch| {
                        let wp = if ch.is_alphanumeric() { "n" } else { "p" };
                        json!({"cw": [{"w": ch.to_string(), "wp": wp, "wc": "1.0000"}], "wb": 0, "we": 0})
                    }).collect();
                    let st = json!({"st": {"bg": b.to_string(), "ed": e.to_string(), "rl": (c + 1).to_string(),
                        "sc": sc, "rt": [{"ws": ws}]}});
                    json!({"json_1best": st.to_string()})
                }).collect();
                let result = json!({"lattice": lattice, "label": {"rl_track":
                    [{"rl": "1", "track": "L"}, {"rl": "2", "track": "R"}]}});
                json!({"code": "000000", "descInfo": "success", "content": {"orderInfo":
                    {"orderId": format!("DKHJQ{i:06}"), "failType": 0, "status": 4},
                    "orderResult": result.to_string(), "taskEstimateTime": 0}})
            }
            // WhisperX: seconds, text with Whisper's leading space, and
            // the diarisation's speaker labels.
            "whisper" => json!({"language": "zh", "segments": rows.iter().map(|(c, b, e, t)|
                    json!({"start": *b as f64 / 1000.0, "end": *e as f64 / 1000.0, "text": format!(" {t}"),
                        "speaker": format!("SPEAKER_{c:02}"), "avg_logprob": -0.3}))
                    .collect::<Vec<_>>()}),
            _ => json!([{"key": rec, "text": "", "sentence_info": rows.iter().map(|(c, b, e, t)|
                    json!({"text": t, "start": b, "end": e, "spk": c})).collect::<Vec<_>>()}]),
        };
        std::fs::write(results.join(format!("{rec}.json")), doc.to_string()).expect("write");
        let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
        list.push_str(&format!(
            "{rec}.wav,{},{},{},{},{},{}\n",
            s("call_id"),
            s("operator_id"),
            s("operator_name"),
            s("team"),
            s("started_at"),
            s("ended_by")
        ));
    }
    std::fs::write(dir.join("calls.csv"), list).expect("write");
}

#[test]
fn samples_exported_to_each_service_and_imported_score_as_the_original() {
    let samples = lines(&root().join("samples/calls.jsonl"));
    // The sample calls a service can carry, with their confidence for the
    // service that reports one per sentence, and without it for the
    // others.
    let with_confidence: Vec<Value> = samples
        .into_iter()
        .filter(|c| {
            c["utterances"]
                .as_array()
                .is_some_and(|u| u.iter().all(|u| u["speaker"] != "unit"))
        })
        .collect();
    let kept: Vec<Value> = with_confidence
        .iter()
        .cloned()
        .map(|mut c| {
            if let Some(us) = c["utterances"].as_array_mut() {
                for u in us {
                    if let Some(o) = u.as_object_mut() {
                        o.remove("confidence");
                    }
                }
            }
            c
        })
        .collect();
    assert!(kept.len() >= 30, "{}", kept.len());
    let tmp = tempfile::tempdir().expect("tmp");
    let baseline = |name: &str, calls: &[Value]| -> String {
        let text: String = calls.iter().map(|c| format!("{c}\n")).collect();
        std::fs::write(tmp.path().join(format!("{name}.jsonl")), text).expect("write");
        let run = format!("run-{name}");
        let o = hq(
            &["score", &format!("{name}.jsonl"), "--out", &run, "--quiet"],
            tmp.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(tmp.path().join(run).join("calls.csv")).expect("calls.csv")
    };
    let want = baseline("original", &kept);
    let want_confidence = baseline("original-confidence", &with_confidence);
    // Must not: the confidence make no difference to the scores, which
    // would let the iFlytek trip below pass without carrying it.
    assert_ne!(want, want_confidence);
    for vendor in [
        "aliyun", "tencent", "huawei", "iflytek", "funasr", "whisper",
    ] {
        let (calls, want) = if vendor == "iflytek" {
            (&with_confidence, &want_confidence)
        } else {
            (&kept, &want)
        };
        let dir = tmp.path().join(vendor);
        export(vendor, calls, &dir);
        let o = hq(
            &[
                "import",
                "--from",
                vendor,
                "results",
                "--calls",
                "calls.csv",
                "--out",
                "calls.jsonl",
                "--agent-channel",
                "0",
            ],
            &dir,
        );
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{vendor}: {stderr}");
        assert!(
            stderr.contains(&format!("写出通话 {} 通，拒收 0 条", kept.len())),
            "{vendor}: {stderr}"
        );
        let o = hq(&["score", "calls.jsonl", "--out", "run", "--quiet"], &dir);
        assert!(
            o.status.success(),
            "{vendor}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let got = std::fs::read_to_string(dir.join("run/calls.csv")).expect("calls.csv");
        assert_eq!(
            &got, want,
            "{vendor}: calls.csv differs from the original's"
        );
    }
}

#[test]
fn diarised_samples_get_the_original_roles_or_a_reason() {
    // The sample calls as one FunASR JSON Lines file, the agent's speaker
    // id alternating between 0 and 1, and no channel named anywhere: the
    // roles come from what is said alone.
    let samples = lines(&root().join("samples/calls.jsonl"));
    let calls: Vec<&Value> = samples
        .iter()
        .filter(|c| {
            c["utterances"]
                .as_array()
                .is_some_and(|u| u.iter().all(|u| u["speaker"] != "unit"))
        })
        .collect();
    let tmp = tempfile::tempdir().expect("tmp");
    let mut results = String::new();
    let mut list = String::from("recording,call_id,operator_id,started_at\n");
    for (i, c) in calls.iter().enumerate() {
        let agent = (i % 2) as i64;
        let info: Vec<Value> = c["utterances"]
            .as_array()
            .expect("utterances")
            .iter()
            .map(|u| {
                let spk = if u["speaker"] == "agent" {
                    agent
                } else {
                    1 - agent
                };
                let ms = |k: &str| (u[k].as_f64().expect("time") * 1000.0).round() as i64;
                json!({"text": u["text"], "start": ms("start"), "end": ms("end"), "spk": spk})
            })
            .collect();
        results.push_str(&format!(
            "{}\n",
            json!([{"key": format!("r{i}"), "text": "", "sentence_info": info}])
        ));
        list.push_str(&format!(
            "r{i}.wav,{},{},{}\n",
            c["call_id"].as_str().expect("id"),
            c["operator_id"].as_str().expect("operator"),
            c["started_at"].as_str().expect("started")
        ));
    }
    std::fs::write(tmp.path().join("results.jsonl"), results).expect("write");
    std::fs::write(tmp.path().join("calls.csv"), list).expect("write");
    let o = hq(
        &[
            "import",
            "--from",
            "funasr",
            "results.jsonl",
            "--calls",
            "calls.csv",
            "--out",
            "out.jsonl",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = lines(&tmp.path().join("out.jsonl"));
    let rejects = common::table(&tmp.path().join("out.jsonl.rejects.csv"));
    assert_eq!(got.len() + rejects.len(), calls.len(), "{rejects:?}");
    // Most sample calls greet or close; the roles of each one written are
    // the original's, utterance by utterance.
    assert!(
        got.len() * 10 >= calls.len() * 8,
        "{} of {}",
        got.len(),
        calls.len()
    );
    for g in &got {
        let orig = calls
            .iter()
            .find(|c| c["call_id"] == g["call_id"])
            .expect("original");
        let who = |c: &Value| -> Vec<String> {
            c["utterances"]
                .as_array()
                .expect("utterances")
                .iter()
                .map(|u| u["speaker"].as_str().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(who(g), who(orig), "{}", g["call_id"]);
    }
    for r in &rejects {
        assert!(r["reason"].contains("分不清哪一方是话务员"), "{r:?}");
        assert!(r["file"].ends_with("results.jsonl"), "{r:?}");
    }
}

#[test]
fn a_link_loop_in_a_result_folder_is_listed_not_followed_forever() {
    // The import walked result folders on its own and followed a link back
    // to its folder until the system refused the path (about 40 levels),
    // reading the same result once per level; it now walks them as `score`
    // does, passing over the loop and saying so.
    let tmp = tempfile::tempdir().expect("tmp");
    let results = tmp.path().join("results");
    std::fs::create_dir(&results).expect("mkdir");
    let src = root().join("tests/data/asr/aliyun/dual.json");
    std::fs::copy(&src, results.join("dual.json")).expect("copy");
    std::os::unix::fs::symlink(&results, results.join("again")).expect("link");
    let out = tmp.path().join("calls.jsonl");
    let o = hq(
        &[
            "import",
            "--from",
            "aliyun",
            results.to_str().expect("path"),
            "--calls",
            root()
                .join("tests/data/asr/通话记录-gbk.csv")
                .to_str()
                .expect("path"),
            "--out",
            out.to_str().expect("path"),
        ],
        tmp.path(),
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("循环"), "{stderr}");
    let calls = lines(&out);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["call_id"], "20261127-900001");
}

#[test]
fn a_result_without_speakers_is_rejected_even_when_a_channel_is_named() {
    // Whisper without diarisation, and iFlytek without 角色分离, write one
    // stream holding both parties: a channel named on the command line
    // would have made every sentence the agent's.
    let tmp = tempfile::tempdir().expect("tmp");
    let results = tmp.path().join("results");
    std::fs::create_dir(&results).expect("mkdir");
    std::fs::write(
        results.join("mono.json"),
        r#"{"text":"","language":"zh","segments":[
          {"start":0.2,"end":0.6,"text":" 喂？"},
          {"start":0.8,"end":4.1,"text":" 您好！市长热线，请问有什么可以帮到您？"}]}"#,
    )
    .expect("write");
    let calls = root().join("tests/data/asr/通话记录-gbk.csv");
    let run = |vendor: &str, dir: &Path| {
        hq(
            &[
                "import",
                "--from",
                vendor,
                dir.to_str().expect("path"),
                "--calls",
                calls.to_str().expect("path"),
                "--out",
                "calls.jsonl",
                "--agent-channel",
                "0",
            ],
            tmp.path(),
        )
    };
    let o = run("whisper", &results);
    assert_eq!(o.status.code(), Some(1), "nothing usable");
    let rejects = common::table(&tmp.path().join("calls.jsonl.rejects.csv"));
    let mono = rejects
        .iter()
        .find(|r| r["record_id"] == "20261127-900002")
        .unwrap_or_else(|| panic!("{rejects:?}"));
    assert!(mono["reason"].contains("--diarize"), "{mono:?}");
    // The same recording from iFlytek with every rl 0.
    let doc = std::fs::read_to_string(root().join("tests/data/asr/iflytek/mono.json"))
        .expect("fixture")
        .replace(r#"\\\"rl\\\": \\\"1\\\""#, r#"\\\"rl\\\": \\\"0\\\""#)
        .replace(r#"\\\"rl\\\": \\\"2\\\""#, r#"\\\"rl\\\": \\\"0\\\""#);
    assert!(
        !doc.contains(r#"\\\"rl\\\": \\\"1\\\""#),
        "fixture changed shape"
    );
    let ifly = tmp.path().join("ifly");
    std::fs::create_dir(&ifly).expect("mkdir");
    std::fs::write(ifly.join("mono.json"), doc).expect("write");
    let o = run("iflytek", &ifly);
    assert_eq!(o.status.code(), Some(1), "nothing usable");
    let rejects = common::table(&tmp.path().join("calls.jsonl.rejects.csv"));
    assert!(
        rejects
            .iter()
            .any(|r| r["record_id"] == "20261127-900002" && r["reason"].contains("roleType=1")),
        "{rejects:?}"
    );
    // Must not: the fixture itself, with its roles, rejected.
    let o = run("iflytek", &root().join("tests/data/asr/iflytek"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
