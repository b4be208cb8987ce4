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
    let mut list =
        String::from("录音文件,通话编号,坐席工号,坐席姓名,班组,开始时间,挂机方,主叫号码\n");
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
        // The phone system's 主叫号码: the sample 000406's caller says 就打这个号码.
        list.push_str(&format!(
            "{rec}.wav,{},{},{},{},{},{},{}\n",
            s("call_id"),
            s("operator_id"),
            s("operator_name"),
            s("team"),
            s("started_at"),
            s("ended_by"),
            s("caller_number")
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

/// Imports `results` (a path under `dir`) with `calls`; the written
/// transcripts' text and the rejects table.
fn import_aliyun(
    dir: &Path,
    results: &str,
    calls: &Path,
) -> (
    String,
    Vec<std::collections::BTreeMap<String, String>>,
    String,
) {
    let o = hq(
        &[
            "import",
            "--from",
            "aliyun",
            results,
            "--calls",
            calls.to_str().expect("path"),
            "--out",
            "calls.jsonl",
        ],
        dir,
    );
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{stderr}");
    let text = std::fs::read_to_string(dir.join("calls.jsonl")).expect("calls.jsonl");
    let rejects = common::table(&dir.join("calls.jsonl.rejects.csv"));
    (text, rejects, stderr)
}

#[test]
fn results_in_a_zip_with_folders_and_a_damaged_entry_are_read_entry_by_entry() {
    use std::io::Write as _;
    let data = root().join("tests/data/asr");
    let calls = data.join("通话记录-gbk.csv");
    // The baseline: the same result files in a folder.
    let plain = tempfile::tempdir().expect("tmp");
    let (want, want_rejects, _) = import_aliyun(
        plain.path(),
        data.join("aliyun").to_str().expect("path"),
        &calls,
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let zip_path = tmp.path().join("results.zip");
    {
        let f = std::fs::File::create(&zip_path).expect("create");
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, file) in [
            ("day/dual.json", "dual.json"),
            ("day/sub/mono.json", "mono.json"),
            ("day/failed.json", "failed.json"),
            ("empty.json", "empty.json"),
        ] {
            z.start_file(name, opts).expect("entry");
            z.write_all(&std::fs::read(data.join("aliyun").join(file)).expect("read"))
                .expect("write");
        }
        z.start_file("day/broken.json", opts).expect("entry");
        z.write_all(b"{\"TaskId\":\"BROKENBROKENBROKEN\"}")
            .expect("write");
        z.start_file("readme.txt", opts).expect("entry");
        z.write_all(b"not a result").expect("write");
        z.finish().expect("finish");
    }
    // Damage the broken entry's data: its checksum no longer matches.
    let mut bytes = std::fs::read(&zip_path).expect("read");
    let at = bytes
        .windows(6)
        .position(|w| w == b"BROKEN")
        .expect("entry data");
    bytes[at] = b'X';
    std::fs::write(&zip_path, bytes).expect("write");
    let (got, rejects, stderr) = import_aliyun(tmp.path(), "results.zip", &calls);
    // The folder inside the archive is walked: the same transcripts as
    // from the folder, byte for byte.
    assert_eq!(got, want);
    let broken: Vec<_> = rejects
        .iter()
        .filter(|r| r["file"].ends_with("results.zip!day/broken.json"))
        .collect();
    assert_eq!(broken.len(), 1, "{rejects:?}");
    assert!(broken[0]["reason"].contains("读不了"), "{broken:?}");
    // Must not: the damaged entry stop the others, or the text file be
    // read as a result rather than listed.
    assert_eq!(rejects.len(), want_rejects.len() + 1, "{rejects:?}");
    assert!(rejects
        .iter()
        .any(|r| r["file"].ends_with("results.zip!day/failed.json")));
    assert!(stderr.contains("results.zip!readme.txt"), "{stderr}");
    // A file that is not a zip at all is one reject, not a crash.
    std::fs::write(tmp.path().join("fake.zip"), b"PK not really").expect("write");
    let o = hq(
        &[
            "import",
            "--from",
            "aliyun",
            "fake.zip",
            "results.zip",
            "--calls",
            calls.to_str().expect("path"),
            "--out",
            "calls2.jsonl",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rejects = common::table(&tmp.path().join("calls2.jsonl.rejects.csv"));
    assert!(
        rejects
            .iter()
            .any(|r| r["file"].ends_with("fake.zip") && r["reason"].contains("zip")),
        "{rejects:?}"
    );
}

#[test]
fn an_xlsx_call_list_is_read_as_the_csv_one() {
    let data = root().join("tests/data/asr");
    let plain = tempfile::tempdir().expect("tmp");
    let results = data.join("aliyun");
    let (want, want_rejects, _) = import_aliyun(
        plain.path(),
        results.to_str().expect("path"),
        &data.join("通话记录-gbk.csv"),
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let book = tmp.path().join("通话记录.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let rows = [
            "录音文件,通话编号,坐席工号,坐席姓名,班组,开始时间,主叫号码,挂机方,坐席声道",
            "dual.wav,20261127-900001,1024,王芳,A班,2026-11-27 09:15:02,13800000001,坐席,右",
            "录音/mono.wav,20261127-900002,1025,李强,B班,2026-11-27 09:20:10,13800000002,来电人,",
            "failed.wav,20261127-900003,1024,王芳,A班,2026-11-27 09:31:45,13800000003,坐席,",
            "empty.wav,20261127-900004,1026,赵敏,A班,2026-11-27 09:40:00,13800000004,坐席,",
            "missing.wav,20261127-900005,1026,赵敏,A班,2026-11-27 09:52:30,13800000005,坐席,",
        ];
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.split(',').enumerate() {
                let (r, c) = (r as u32, c as u16);
                if cell.is_empty() {
                    continue;
                }
                // Start times as Excel dates (a number in the cell), the
                // rest as text; the operator id as a number, as Excel keeps it.
                if r > 0 && c == 5 {
                    let t = rust_xlsxwriter::ExcelDateTime::parse_from_str(cell).expect("date");
                    ws.write_datetime_with_format(r, c, &t, &date)
                        .expect("cell");
                } else if r > 0 && c == 2 {
                    ws.write_number(r, c, cell.parse::<f64>().expect("id"))
                        .expect("cell");
                } else {
                    ws.write_string(r, c, cell).expect("cell");
                }
            }
        }
        wb.save(&book).expect("save");
    }
    let (got, rejects, _) = import_aliyun(tmp.path(), results.to_str().expect("path"), &book);
    assert_eq!(got, want);
    // The same rejects, on the same rows (a sheet row is a CSV line).
    let key = |r: &std::collections::BTreeMap<String, String>| {
        (
            r["line"].clone(),
            r["record_id"].clone(),
            r["reason"].clone(),
        )
    };
    assert_eq!(
        rejects.iter().map(key).collect::<Vec<_>>(),
        want_rejects.iter().map(key).collect::<Vec<_>>()
    );
    // Must not: a workbook that is not one read as an empty call list.
    std::fs::write(tmp.path().join("bad.xlsx"), b"not a workbook").expect("write");
    let o = hq(
        &[
            "import",
            "--from",
            "aliyun",
            results.to_str().expect("path"),
            "--calls",
            "bad.xlsx",
            "--out",
            "x.jsonl",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("无法作为 Excel 工作簿打开"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn score_from_results_equals_import_then_score_and_counts_the_import_rejects() {
    let samples = lines(&root().join("samples/calls.jsonl"));
    let kept: Vec<Value> = samples
        .into_iter()
        .filter(|c| {
            c["utterances"]
                .as_array()
                .is_some_and(|u| u.iter().all(|u| u["speaker"] != "unit"))
        })
        .collect();
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    export("aliyun", &kept, dir);
    // A failed task, and a listed call without a result: import rejects.
    std::fs::copy(
        root().join("tests/data/asr/aliyun/failed.json"),
        dir.join("results/failed.json"),
    )
    .expect("copy");
    let mut list = std::fs::read_to_string(dir.join("calls.csv")).expect("list");
    list.push_str("failed.wav,X-FAILED,1024,王芳,A班,2026-11-27 09:31:45,agent\n");
    list.push_str("missing.wav,X-MISSING,1024,王芳,A班,2026-11-27 09:32:45,agent\n");
    std::fs::write(dir.join("calls.csv"), list).expect("write");
    let o = hq(
        &[
            "import",
            "--from",
            "aliyun",
            "results",
            "--calls",
            "calls.csv",
            "--out",
            "calls.jsonl",
            "--agent-channel",
            "0",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let as_of = ["--as-of", "2026-11-28T00:00:00+08:00", "--quiet"];
    let mut two = vec!["score", "calls.jsonl", "--out", "two-steps"];
    two.extend(as_of);
    let o = hq(&two, dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut one = vec![
        "score",
        "--from",
        "aliyun",
        "results",
        "--calls",
        "calls.csv",
        "--agent-channel",
        "0",
        "--out",
        "one-step",
    ];
    one.extend(as_of);
    let o = hq(&one, dir);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    for f in [
        "calls.csv",
        "findings.csv",
        "operators.csv",
        "calls.parquet",
    ] {
        let a = std::fs::read(dir.join("two-steps").join(f)).expect("two-steps");
        let b = std::fs::read(dir.join("one-step").join(f)).expect("one-step");
        assert!(
            a == b,
            "{f} differs between import + score and score --from"
        );
    }
    // The import's rejects are the run's, with their reasons, and count
    // among the calls read: read = scored + rejected.
    let rejects = common::table(&dir.join("one-step/rejects.csv"));
    let reason = |id: &str| {
        rejects
            .iter()
            .find(|r| r["record_id"] == id)
            .map(|r| r["reason"].clone())
            .unwrap_or_else(|| panic!("no reject for {id}: {rejects:?}"))
    };
    assert!(reason("X-FAILED").contains("FILE_DOWNLOAD_FAILED"));
    assert!(reason("X-MISSING").contains("没有它的录音"));
    let scored = std::fs::read_to_string(dir.join("one-step/calls.csv"))
        .expect("calls")
        .lines()
        .count()
        - 1;
    assert_eq!(scored, kept.len());
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    let counted = format!(
        "通话：读取 {} 条，评分 {} 条，拒收 2 条（读取 = 评分 + 拒收 ✓）",
        kept.len() + 2,
        kept.len()
    );
    assert!(stderr.contains(&counted), "{stderr}");
    // rescore imports the results again (run.json records them).
    std::fs::write(
        dir.join("same.toml"),
        "[norms.pace]\nrate_source = \"computed\"\n",
    )
    .expect("write");
    let o = hq(
        &[
            "rescore",
            "one-step",
            "--config",
            "same.toml",
            "--out",
            "again",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(dir.join("again/calls.csv")).expect("rescored"),
        std::fs::read(dir.join("one-step/calls.csv")).expect("one-step")
    );
    // Must not: --calls without --from, or --from with --stdin.
    let o = hq(
        &["score", "calls.jsonl", "--calls", "calls.csv", "--out", "x"],
        dir,
    );
    assert_eq!(o.status.code(), Some(2));
    let o = hq(
        &[
            "score",
            "--stdin",
            "--from",
            "aliyun",
            "--calls",
            "calls.csv",
        ],
        dir,
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_services_measures_go_through_import_into_score() {
    let samples = lines(&root().join("samples/calls.jsonl"));
    let kept: Vec<Value> = samples
        .into_iter()
        .filter(|c| {
            c["utterances"]
                .as_array()
                .is_some_and(|u| u.iter().all(|u| u["speaker"] != "unit"))
        })
        .collect();
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    // The export gives every sentence SpeechRate 200, EmotionValue 6.0 and
    // SilenceDuration 0.
    export("aliyun", &kept, dir);
    let o = hq(
        &[
            "import",
            "--from",
            "aliyun",
            "results",
            "--calls",
            "calls.csv",
            "--out",
            "calls.jsonl",
            "--agent-channel",
            "0",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let calls = lines(&dir.join("calls.jsonl"));
    let u = &calls[0]["utterances"][0];
    assert_eq!(u["speech_rate"], json!(200.0));
    assert_eq!(u["silence_before"], json!(0.0));
    // An energy, not a label: kept as given, no emotion label made up.
    assert_eq!(u["emotion_raw"], "6");
    assert!(u.get("emotion").is_none(), "{u}");
    let pace = |run: &str| -> Vec<String> {
        common::table(&dir.join(run).join("calls.csv"))
            .into_iter()
            .map(|r| r["pace"].clone())
            .collect()
    };
    let o = hq(
        &["score", "calls.jsonl", "--out", "computed", "--quiet"],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(
        dir.join("service.toml"),
        "[norms.pace]\nrate_source = \"service\"\n",
    )
    .expect("write");
    let o = hq(
        &[
            "score",
            "calls.jsonl",
            "--config",
            "service.toml",
            "--out",
            "service",
            "--quiet",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // By default the pace is computed from the text and times: some sample
    // agents are too fast or too slow.
    let computed = pace("computed");
    assert!(
        computed.iter().any(|p| p == "0"),
        "the samples hold a pace failure: {computed:?}"
    );
    // With the service's rate (200 字/分钟 everywhere), every assessed
    // call passes the pace norm.
    let service = pace("service");
    assert!(
        service.iter().all(|p| p == "5" || p.is_empty()),
        "{service:?}"
    );
    assert_eq!(
        computed.iter().filter(|p| p.is_empty()).count(),
        service.iter().filter(|p| p.is_empty()).count()
    );
}

#[test]
fn a_bad_line_of_a_json_lines_results_file_is_one_reject_and_the_rest_is_read() {
    let data = root().join("tests/data/asr/aliyun");
    let compact = |f: &str| -> String {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(data.join(f)).expect("read"))
            .expect("json");
        v.to_string()
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let mut bytes = format!("{}\n", compact("dual.json")).into_bytes();
    bytes.extend_from_slice(b"{\"TaskId\":\"\xff\xfe\"}\n\n");
    bytes.extend_from_slice(format!("{}\n", compact("mono.json")).as_bytes());
    std::fs::write(tmp.path().join("results.jsonl"), bytes).expect("write");
    std::fs::write(
        tmp.path().join("calls.csv"),
        "task_id,call_id,operator_id,started_at,agent_channel\n\
         b7c1e0f2a3d44e5f8a9b0c1d2e3f4a01,C1,1024,2026-11-27 09:15:02,1\n\
         b7c1e0f2a3d44e5f8a9b0c1d2e3f4a02,C2,1025,2026-11-27 09:20:10,\n",
    )
    .expect("write");
    let (text, rejects, _) =
        import_aliyun(tmp.path(), "results.jsonl", &tmp.path().join("calls.csv"));
    let ids: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["call_id"].to_string())
        .collect();
    assert_eq!(ids, vec!["\"C1\"", "\"C2\""]);
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0]["line"], "2");
    assert!(rejects[0]["reason"].contains("UTF-8"), "{rejects:?}");
}
