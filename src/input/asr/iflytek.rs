//! 讯飞开放平台 录音文件转写 results: the getResult response of API v2
//! (see the module header of `input::asr` for the page read).
//!
//! The sentences are two JSON strings deep: `content.orderResult` is a
//! JSON string holding `lattice`, whose every `json_1best` is again a JSON
//! string holding one sentence `st`. Both are also accepted already parsed,
//! as some clients store them.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::{one_or_many, Measures, NumOrStr, Recording, Sentence};

/// `code` of a successful call.
const SUCCESS: &str = "000000";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    code: Option<NumOrStr>,
    desc_info: Option<String>,
    content: Option<Content>,
    /// The older API v1 (`raasr.xfyun.cn/api/getResult`): `ok` 0 or -1,
    /// `err_no`, `failed`, and `data`, a JSON string of sentences.
    ok: Option<i64>,
    #[serde(rename = "err_no")]
    err_no: Option<NumOrStr>,
    failed: Option<String>,
    data: Option<Value>,
}

/// One sentence of an API v1 result.
#[derive(Deserialize)]
struct V1Sentence {
    bg: NumOrStr,
    ed: NumOrStr,
    #[serde(default)]
    onebest: String,
    /// 0 when 角色分离 (`has_seperate`) was off, else 1, 2 …
    speaker: Option<NumOrStr>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Content {
    order_info: Option<OrderInfo>,
    order_result: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderInfo {
    order_id: Option<NumOrStr>,
    fail_type: Option<NumOrStr>,
    status: Option<NumOrStr>,
}

#[derive(Deserialize)]
struct OrderResult {
    /// Sentences after 顺滑 (fillers smoothed away where that is on).
    lattice: Option<Vec<Lattice>>,
    /// Sentences without 顺滑, only where that permission is granted.
    lattice2: Option<Vec<Lattice>>,
    label: Option<Label>,
}

#[derive(Deserialize)]
struct Lattice {
    json_1best: Option<Value>,
}

#[derive(Deserialize)]
struct Label {
    /// Which role is on which track of a multi-channel recording.
    rl_track: Option<Vec<RoleTrack>>,
}

#[derive(Deserialize)]
struct RoleTrack {
    rl: Option<NumOrStr>,
    track: Option<String>,
}

#[derive(Deserialize)]
struct OneBest {
    st: St,
}

#[derive(Deserialize)]
struct St {
    bg: NumOrStr,
    ed: NumOrStr,
    rl: Option<NumOrStr>,
    sc: Option<NumOrStr>,
    #[serde(default)]
    rt: Vec<Rt>,
}

#[derive(Deserialize)]
struct Rt {
    #[serde(default)]
    ws: Vec<Ws>,
}

#[derive(Deserialize)]
struct Ws {
    #[serde(default)]
    cw: Vec<Cw>,
}

#[derive(Deserialize)]
struct Cw {
    #[serde(default)]
    w: String,
    /// n word, s smoothed filler, p punctuation, g paragraph mark.
    wp: Option<String>,
}

/// What `failType` means, as the v2 page lists it.
fn fail_type(t: i64) -> &'static str {
    match t {
        1 => "音频上传失败",
        2 => "音频转码失败",
        3 => "音频识别失败",
        4 => "音频时长超限（最长 5 小时）",
        5 => "音频校验失败（duration 与真实音频时长不符）",
        6 => "静音文件",
        7 => "翻译失败",
        8 => "账号无翻译权限",
        9 => "转写质检失败",
        10 => "转写质检未匹配出关键词",
        11 => "upload 接口没有开启质检",
        _ => "其他错误",
    }
}

/// A value that is a JSON document itself, or a JSON string holding one.
fn nested<T: DeserializeOwned>(v: &Value, what: &str) -> Result<T, String> {
    let r = match v {
        Value::String(s) => serde_json::from_str(s),
        other => serde_json::from_value(other.clone()),
    };
    r.map_err(|e| format!("{what} 读不了：{e}"))
}

/// Parses a result document into its recordings.
pub fn parse(text: &str) -> Result<Vec<Recording>, String> {
    let docs: Vec<Response> = one_or_many(text)?;
    if docs
        .iter()
        .any(|d| d.code.is_none() && d.content.is_none() && d.ok.is_none() && d.data.is_none())
    {
        return Err(
            "没有 code 或 content（v1 接口：ok 或 data），不是录音文件转写 getResult 的结果".into(),
        );
    }
    Ok(docs
        .into_iter()
        .map(|d| {
            if d.content.is_none() && d.code.is_none() {
                v1(d)
            } else {
                recording(d)
            }
        })
        .collect())
}

/// A result of the older API v1, whose getResult gives sentences with
/// their speaker directly, and no task id.
fn v1(d: Response) -> Recording {
    let said = |what: &str| {
        format!(
            "讯飞转写任务{what}（ok {}，err_no {}，failed {}）",
            d.ok.map_or_else(|| "无".into(), |o| o.to_string()),
            d.err_no
                .as_ref()
                .map_or_else(|| "无".into(), NumOrStr::as_key),
            d.failed
                .as_deref()
                .filter(|f| !f.is_empty())
                .unwrap_or("无")
        )
    };
    let outcome = if d.ok.is_some_and(|o| o != 0) {
        Err(said("失败"))
    } else {
        match d
            .data
            .as_ref()
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
        {
            None => Err(said("成功但结果是空的（data 没有一句话）")),
            Some(v) => match nested::<Vec<V1Sentence>>(v, "data") {
                Err(e) => Err(said(&format!("的结果{e}"))),
                Ok(list) => v1_sentences(list, &said),
            },
        }
    };
    Recording {
        keys: Vec::new(),
        outcome,
    }
}

fn v1_sentences(
    list: Vec<V1Sentence>,
    said: &dyn Fn(&str) -> String,
) -> Result<Vec<Sentence>, String> {
    let mut out = Vec::new();
    for (n, s) in list.into_iter().enumerate() {
        if s.onebest.trim().is_empty() {
            continue;
        }
        let (Some(bg), Some(ed)) = (s.bg.as_f64(), s.ed.as_f64()) else {
            return Err(said(&format!("的第 {} 句没有时间（bg、ed）", n + 1)));
        };
        let speaker = s.speaker.as_ref().and_then(NumOrStr::as_f64).unwrap_or(0.0);
        if speaker < 1.0 {
            return Err(said(&format!(
                "的第 {} 句没有说话人（speaker 为 0）：请在预处理（prepare）时设 has_seperate=true 开启角色分离",
                n + 1
            )));
        }
        out.push(Sentence {
            id: Some(speaker as i64 - 1),
            start_ms: bg,
            end_ms: ed,
            text: s.onebest,
            confidence: None,
            measures: Measures::default(),
        });
    }
    if out.is_empty() {
        return Err(said("成功但结果是空的（data 没有一句话）"));
    }
    Ok(out)
}

fn recording(d: Response) -> Recording {
    let info = d.content.as_ref().and_then(|c| c.order_info.as_ref());
    let keys: Vec<String> = info
        .and_then(|i| i.order_id.as_ref())
        .map(NumOrStr::as_key)
        .into_iter()
        .collect();
    let code = d.code.as_ref().map(NumOrStr::as_key).unwrap_or_default();
    let status = info
        .and_then(|i| i.status.as_ref())
        .and_then(NumOrStr::as_f64)
        .map(|s| s as i64);
    let fail = info
        .and_then(|i| i.fail_type.as_ref())
        .and_then(NumOrStr::as_f64)
        .map(|f| f as i64)
        .unwrap_or(0);
    let said = |what: &str| {
        let mut s = format!(
            "讯飞转写订单{what}（code {}，descInfo {}",
            if code.is_empty() { "无" } else { &code },
            d.desc_info.as_deref().unwrap_or("无")
        );
        if let Some(st) = status {
            s.push_str(&format!("，status {st}"));
        }
        if fail != 0 {
            s.push_str(&format!("，failType {fail} {}", fail_type(fail)));
        }
        s.push('）');
        s
    };
    let outcome = if !code.is_empty() && code != SUCCESS {
        Err(said("失败"))
    } else {
        match status {
            Some(-1) => Err(said("失败")),
            Some(0) | Some(3) => Err(said("还没有完成，请等订单完成后再导出结果")),
            Some(4) | None => {
                let result = d.content.and_then(|c| c.order_result);
                sentences(result.as_ref(), &said)
            }
            Some(_) => Err(said("状态不明")),
        }
    };
    Recording { keys, outcome }
}

fn sentences(
    result: Option<&Value>,
    said: &dyn Fn(&str) -> String,
) -> Result<Vec<Sentence>, String> {
    let empty = || Err(said("成功但结果是空的（orderResult 没有一句话）"));
    let Some(v) = result.filter(|v| !matches!(v, Value::Null) && v.as_str() != Some("")) else {
        return empty();
    };
    let order: OrderResult = nested(v, "orderResult").map_err(|e| said(&format!("的结果{e}")))?;
    // Which track each role is on, for a recording of two channels:
    // L is channel 0, R channel 1, so that the call list's agent_channel
    // applies as to the other services' channels.
    let tracks: HashMap<String, i64> = order
        .label
        .and_then(|l| l.rl_track)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| {
            let ch = match t.track?.trim().to_ascii_uppercase().as_str() {
                "L" | "LEFT" | "0" => 0,
                "R" | "RIGHT" | "1" => 1,
                _ => return None,
            };
            Some((t.rl?.as_key(), ch))
        })
        .collect();
    let lattice = order.lattice.or(order.lattice2).unwrap_or_default();
    let mut out = Vec::new();
    for (n, l) in lattice.iter().enumerate() {
        let Some(best) = &l.json_1best else { continue };
        let one: OneBest =
            nested(best, "json_1best").map_err(|e| said(&format!("第 {} 句的 {e}", n + 1)))?;
        let st = one.st;
        // The sentence is its words, the first (best) candidate of each,
        // punctuation as the service wrote it; paragraph marks dropped.
        let text: String = st
            .rt
            .iter()
            .flat_map(|rt| &rt.ws)
            .filter_map(|ws| ws.cw.first())
            .filter(|cw| cw.wp.as_deref() != Some("g"))
            .map(|cw| cw.w.as_str())
            .collect();
        if text.trim().is_empty() {
            continue;
        }
        let (Some(bg), Some(ed)) = (st.bg.as_f64(), st.ed.as_f64()) else {
            return Err(said(&format!("的第 {} 句没有时间（bg、ed）", n + 1)));
        };
        let rl = st.rl.as_ref().map(NumOrStr::as_key);
        let id = match &rl {
            Some(r) if tracks.contains_key(r) => tracks.get(r).copied(),
            Some(r) => r.parse::<i64>().ok().filter(|&r| r >= 1).map(|r| r - 1),
            None => None,
        };
        out.push(Sentence {
            id,
            start_ms: bg,
            end_ms: ed,
            text,
            // sc is the sentence's score 0..1; 0 is what the service
            // writes where it scored nothing, so it is not a confidence.
            confidence: st
                .sc
                .as_ref()
                .and_then(NumOrStr::as_f64)
                .filter(|c| *c > 0.0 && *c <= 1.0),
            measures: Measures::default(),
        });
    }
    if out.is_empty() {
        return empty();
    }
    // rl is 0 (or absent) when 角色分离 was off: then nothing tells the
    // agent from the caller, and a named channel would name a channel
    // the result does not carry.
    if let Some(n) = out.iter().position(|s| s.id.is_none()) {
        return Err(said(&format!(
            "的第 {} 句没有角色编号（st.rl 为 0）：请在上传（upload）时设 roleType=1 开启角色分离（双声道录音按声道分角色）",
            n + 1
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(status: i64, fail: i64, sentences: &[(&str, i64, i64, &str, &str)]) -> String {
        let lattice: Vec<Value> = sentences
            .iter()
            .map(|(rl, bg, ed, sc, text)| {
                let ws: Vec<Value> = text
                    .chars()
                    .map(|c| {
                        let wp = if "，。？！".contains(c) { "p" } else { "n" };
                        serde_json::json!({"cw": [{"w": c.to_string(), "wp": wp}], "wb": 0, "we": 0})
                    })
                    .collect();
                let st = serde_json::json!({"st": {"bg": bg.to_string(), "ed": ed.to_string(),
                    "rl": rl, "sc": sc, "rt": [{"ws": ws}]}});
                serde_json::json!({"json_1best": st.to_string()})
            })
            .collect();
        let result = serde_json::json!({"lattice": lattice}).to_string();
        serde_json::json!({"code": "000000", "descInfo": "success", "content": {
            "orderInfo": {"orderId": "DKHJQ1", "failType": fail, "status": status},
            "orderResult": result}})
        .to_string()
    }

    #[test]
    fn words_fold_into_sentences_with_roles_times_and_score() {
        let text = doc(
            4,
            0,
            &[
                ("1", 200, 600, "0.00", "喂？"),
                ("2", 800, 4100, "0.93", "您好，市长热线。"),
            ],
        );
        let r = parse(&text).expect("iflytek");
        assert_eq!(r[0].keys, vec!["DKHJQ1"]);
        let s = r[0].outcome.as_ref().expect("ok");
        assert_eq!(s[1].text, "您好，市长热线。");
        assert_eq!(
            (s[1].id, s[1].start_ms, s[1].end_ms),
            (Some(1), 800.0, 4100.0)
        );
        assert_eq!(s[1].confidence, Some(0.93));
        // Must not: the 0.00 written where nothing was scored read as a
        // confidence of zero.
        assert_eq!(s[0].confidence, None);
    }

    #[test]
    fn roles_on_tracks_are_channels() {
        let text = doc(
            4,
            0,
            &[("1", 0, 500, "0", "喂"), ("2", 600, 900, "0", "您好")],
        );
        let mut v: Value = serde_json::from_str(&text).expect("json");
        let with_label = serde_json::json!({
            "lattice": serde_json::from_str::<Value>(v["content"]["orderResult"].as_str().expect("str"))
                .expect("json")["lattice"],
            "label": {"rl_track": [{"rl": "1", "track": "R"}, {"rl": "2", "track": "L"}]}});
        v["content"]["orderResult"] = Value::String(with_label.to_string());
        let r = parse(&v.to_string()).expect("iflytek");
        let s = r[0].outcome.as_ref().expect("ok");
        assert_eq!((s[0].id, s[1].id), (Some(1), Some(0)));
    }

    #[test]
    fn failed_unfinished_empty_and_roleless_orders_are_rejects() {
        let e = parse(&doc(-1, 2, &[])).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("failed");
        assert!(e.contains("failType 2 音频转码失败"), "{e}");
        let e = parse(&doc(3, 0, &[])).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("running");
        assert!(e.contains("还没有完成"), "{e}");
        let e = parse(&doc(4, 0, &[])).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("empty");
        assert!(e.contains("结果是空的"), "{e}");
        let e = parse(&doc(4, 0, &[("0", 0, 900, "0", "您好")])).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("no roles");
        assert!(e.contains("roleType=1"), "{e}");
        let api = r#"{"code":"26603","descInfo":"订单不存在"}"#;
        let e = parse(api).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("api");
        assert!(e.contains("26603") && e.contains("订单不存在"), "{e}");
        // The older API v1: sentences with their speaker, or its failure.
        let v1 = r#"{"data":"[{\"bg\":\"200\",\"ed\":\"600\",\"onebest\":\"喂？\",\"speaker\":\"1\"},{\"bg\":\"800\",\"ed\":\"4100\",\"onebest\":\"您好，市长热线。\",\"speaker\":\"2\"}]","err_no":0,"failed":null,"ok":0}"#;
        let s = parse(v1).expect("v1")[0]
            .outcome
            .clone()
            .expect("v1 sentences");
        assert_eq!(
            (s[1].id, s[1].start_ms, s[1].text.as_str()),
            (Some(1), 800.0, "您好，市长热线。")
        );
        let v1_failed = r#"{"data":null,"err_no":26601,"failed":"转写失败","ok":-1}"#;
        let e = parse(v1_failed).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("v1 failed");
        assert!(e.contains("26601") && e.contains("转写失败"), "{e}");
        let v1_alone = r#"{"data":"[{\"bg\":\"0\",\"ed\":\"900\",\"onebest\":\"您好\",\"speaker\":\"0\"}]","ok":0}"#;
        let e = parse(v1_alone).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("no speaker");
        assert!(e.contains("has_seperate=true"), "{e}");
        // Must not: another service's result read as an empty order.
        assert!(parse(r#"{"status":"FINISHED","segments":[]}"#).is_err());
    }
}
