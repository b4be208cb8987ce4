import json, csv
STAFF = ["pos2", "none", "pos3", "caller"]          # violated: none, pos3, caller
PROM = ["none", "bao", "bao_excl", "re", "re_excl", "caller", "none"]  # violated: bao, re
COMP = ["none", "ack1", "ack3", "late", "noack", "agent_says"]  # violated: late, noack
FIRST = [0.6, 6.0, 5.0, 0.6, 9.5]                    # violated: 6.0, 9.5
URG = [None, ("急办", "工单转办", False), ("急办", "工单转办", True), ("急办", "直接办理", False),
       ("普通", "工单转办", False), ("重大应急", "电话交办", False), ("一般应急", "工单转办", True)]
calls, tickets, labels = [], [], []
for i in range(42):
    cid = "DH-%03d" % (i + 1)
    st, pr, co, fr, ur = STAFF[i % 4], PROM[i % 7], COMP[i % 6], FIRST[i % 5], URG[(i // 2) % 7]
    u = []
    t = [fr]
    def say(sp, text):
        s = t[0]; e = s + 2.0 + len(text) * 0.15
        u.append({"speaker": sp, "start": round(s, 1), "end": round(e, 1), "text": text, "confidence": 0.92})
        t[0] = e + 0.7
    say("agent", "喂，什么事？" if i % 9 == 4 else "您好！市长热线，请问有什么可以帮到您？")
    say("caller", "你好，我们小区门口的路灯坏了好几天了。" if st != "caller" else "你好，你工号多少？我们小区门口的路灯坏了。")
    say("agent", "好的，我是工号1024，请问是哪个小区？" if st == "pos2" else "好的，请问是哪个小区？")
    say("caller", "幸福里小区北门。")
    say("agent", "我是工号1024，您的情况我了解了。" if st == "pos3" else "好的，您的情况我了解了。")
    if co == "agent_says":
        say("agent", "如果对处理结果不满意，您也可以再来电投诉。")
        say("caller", "好的。")
    elif co != "none":
        say("caller", "物业一直不管，我要投诉物业。")
        if co == "ack1":
            say("agent", "好的，我记录一下。")
        elif co == "ack3":
            say("agent", "您别着急。")
            say("caller", "都好几天了。")
            say("agent", "明白，这个情况我给您记下来。")
        elif co == "late":
            say("agent", "您别着急。")
            say("caller", "都好几天了。")
            say("agent", "明白。")
            say("caller", "晚上黑乎乎的。")
            say("agent", "好的，这个情况我给您记录下来。")
        else:
            say("agent", "您别着急。")
    if pr == "bao": say("agent", "我们一定尽快，包您满意。")
    elif pr == "bao_excl": say("agent", "我们不敢包您满意，但会尽快处理。")
    elif pr == "re": say("agent", "放心，我们绝对给您解决好。")
    elif pr == "re_excl": say("agent", "物业绝对不能不管，我们会督促。")
    elif pr == "caller": say("caller", "你们能绝对给我解决吗？")
    if ur and ur[2]: say("agent", "这个单子已经给您加急处理。")
    say("caller", "好的，谢谢。")
    if i % 8 != 3: say("agent", "感谢您的来电，再见！")
    calls.append({"call_id": cid, "operator_id": "2001", "operator_name": "赵敏", "team": "B班",
                  "started_at": "2026-11-05T%02d:%02d:00+08:00" % (9 + i // 6, (i % 6) * 10), "ended_by": "agent", "utterances": u})
    if ur:
        tickets.append({"ticket_id": "TD%03d" % (i + 1), "call_id": cid, "operator_id": "2001",
            "accepted_at": "2026-11-05 %02d:%02d:00" % (9 + i // 6, (i % 6) * 10), "category": "一般诉求", "subcategory": "路灯维修",
            "handling": ur[1], "urgency": ur[0], "caller_name": "李先生", "caller_phone": "1380000%04d" % i,
            "event_time": "上周五起", "event_location": "东湖区幸福里小区北门", "content": "东湖区幸福里小区北门路灯自上周五起不亮，请尽快维修。",
            "unit": "市城管局" if ur[1] != "直接办理" else "", "unit_level": "市直" if ur[1] != "直接办理" else "", "hot_issue": "否",
            "dispatched_at": "2026-11-05 %02d:%02d:00" % (10 + i // 6, (i % 6) * 10) if ur[1] != "直接办理" else ""})
    lab = []
    if st in ("none", "pos3", "caller"): lab.append("staff_id.first_two")
    if pr == "bao": lab.append("no_promise.guarantee")
    if pr == "re": lab.append("no_promise.guarantee")
    if co in ("late", "noack"): lab.append("complaint_ack.record")
    if fr > 5: lab.append("quick_answer.first_response")
    if ur and ur[0] != "普通" and ur[1] != "直接办理" and not ur[2]: lab.append("urgent_notice.say_urgent")
    for r in lab: labels.append((cid, r))
import os; os.chdir(os.path.dirname(os.path.abspath(__file__)))
with open("calls.jsonl", "w") as f:
    for c in calls: f.write(json.dumps(c, ensure_ascii=False) + "\n")
cols = "ticket_id,call_id,operator_id,accepted_at,category,subcategory,handling,urgency,caller_name,caller_phone,event_time,event_location,content,complained_staff_name,complained_staff_no,unit,unit_level,hot_issue,dispatched_at,due_at,completed_at,feedback_at,urged_at,urged_by,supervised_at,callback_at,callback_operator_id,callback_result".split(",")
with open("tickets.csv", "w", newline="") as f:
    w = csv.DictWriter(f, cols); w.writeheader()
    for t in tickets: w.writerow({k: t.get(k, "") for k in cols})
with open("expected.csv", "w") as f:
    f.write("call_id,rule\n")
    for c, r in sorted(labels): f.write("%s,%s\n" % (c, r))
print(len(calls), len(tickets), len(labels))
