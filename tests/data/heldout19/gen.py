#!/usr/bin/env python3
"""Writes the held-out set for spec §2.1 (issue #19): calls.jsonl, tickets.csv,
directory.csv, labels.csv. Written from spec §2.1 and the process document only."""
import csv, json, os, sys
from datetime import datetime, timedelta

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
RULES = {
    "cat": "ticket.category_mismatch", "name": "ticket.name_mismatch",
    "phone": "ticket.phone_mismatch", "place": "ticket.place_missing",
    "harm": "ticket.harm_omitted", "repeat": "ticket.repeat_omitted",
    "risk": "process.risk_not_escalated", "compl": "process.complaint_not_dispatched",
}
CASES = []

def case(turns, t=None, labels=None, note="", caller_number=None, no_ticket=False, greet=True):
    CASES.append(dict(turns=turns, t=t or {}, labels=labels or {}, note=note,
                      caller_number=caller_number, no_ticket=no_ticket, greet=greet))

A = lambda s: ("a", s)
C = lambda s: ("c", s)
U = lambda s: ("u", s)
ASK = A("好的，请问您贵姓？留一个联系电话可以吗？")

# ---------------- category ----------------
case([C("我要投诉你们城管的一个工作人员，在长青小区门口对摊贩态度特别恶劣。"), ASK,
      C("我姓王，电话13912345678。")],
     dict(category="咨询", subcategory="城管执法", caller_name="王先生", caller_phone="13912345678",
          event_location="长青小区门口", content="来电人反映城管工作人员在长青小区门口执法时态度恶劣。"),
     {"cat": "violated"}, "我要投诉 written as 咨询")
case([C("你好，我举报一下，幸福巷有人天天占道经营，把路都堵了。"), ASK,
      C("免贵姓孙，手机一三五 七七八八 九九零零。")],
     dict(category="投诉举报", subcategory="占道经营", caller_name="孙女士", caller_phone="13577889900",
          event_location="幸福巷", content="来电人举报幸福巷有商户长期占道经营，影响通行。"),
     {}, "我举报 recorded 投诉举报; spoken number in groups")
case([C("我想投诉一下我们楼下那个烧烤店，油烟太大了，在建设路上。"), ASK,
      C("我叫陈建国，电话是幺三八 六六七七 八八九九。")],
     dict(category="建议", subcategory="油烟污染", caller_name="陈建国", caller_phone="13866778899",
          event_location="建设路", content="来电人反映建设路一烧烤店油烟扰民。"),
     {"cat": "violated"}, "投诉一下 written as 建议")
case([C("我是想举报啊，东门市场那边有人卖病死猪肉。"), ASK,
      C("我姓赵，号码18655443322。")],
     dict(category="一般诉求", subcategory="食品安全", caller_name="赵先生", caller_phone="18655443322",
          event_location="东门市场", content="来电人反映东门市场有人出售病死猪肉，请求查处。"),
     {"cat": "violated"}, "想举报 written as 一般诉求")
case([C("不是投诉啊，我就问问居住证怎么办。"), A("好的，请问您贵姓？"), C("我姓周，电话13700001111。")],
     dict(category="咨询", subcategory="户籍", handling="直接办理", caller_name="周女士",
          caller_phone="13700001111", event_location="", content="来电人咨询居住证办理流程，已解答。", unit="", dispatched_at=""),
     {}, "不是投诉 → no category fixed")
case([C("我想问一下怎么投诉物业，我们小区物业不管事。"), A("您可以向所在区住建局反映，请问您贵姓？"), C("姓吴，电话一五八 零零零零 一二一二。")],
     dict(category="咨询", subcategory="物业管理", handling="直接办理", caller_name="吴先生",
          caller_phone="15800001212", event_location="", content="来电人咨询如何投诉小区物业，已告知住建局电话。", unit="", dispatched_at=""),
     {}, "怎么投诉 is a question")
case([C("你们的投诉电话是多少？我要记一下。"), A("就是12345，请问您贵姓？"), C("我姓郑，电话13511112222。")],
     dict(category="咨询", subcategory="其他", handling="直接办理", caller_name="郑先生",
          caller_phone="13511112222", event_location="", content="来电人咨询投诉电话，已告知。", unit="", dispatched_at=""),
     {}, "投诉电话是多少 is a question")
case([C("路灯坏了好几天了，晚上黑乎乎的，在和平街那一段。"), A("好的，您的投诉我们会转给相关单位。请问您贵姓？"),
      C("姓冯，电话13622223333。")],
     dict(category="一般诉求", subcategory="路灯", caller_name="冯先生", caller_phone="13622223333",
          event_location="和平街", content="来电人反映和平街路灯损坏多日。"),
     {}, "agent says 投诉, caller never does")
case([C("我要表扬一下你们供电公司的李师傅，半夜来帮我们修好了电。"), ASK, C("我姓何，电话13633334444。")],
     dict(category="表扬", subcategory="表扬承办单位", caller_name="何女士", caller_phone="13633334444",
          event_location="", content="来电人表扬供电公司李师傅夜间抢修及时。", unit="市供电公司"),
     {}, "我要表扬 recorded 表扬")
case([C("想表扬一下社区的网格员小刘，帮我家老人办了好多事。"), ASK, C("免贵姓罗，电话幺五九 一二一二 三四三四。")],
     dict(category="咨询", subcategory="其他", caller_name="罗先生", caller_phone="15912123434",
          event_location="", content="来电人称社区网格员小刘帮助其家中老人办事。", unit="城东区政府"),
     {"cat": "violated"}, "想表扬一下 written as 咨询")
case([C("我先不投诉，你们先帮我问问，小区的电梯老是坏。"), ASK, C("姓高，电话13744445555。")],
     dict(category="一般诉求", subcategory="电梯", caller_name="高女士", caller_phone="13744445555",
          event_location="", content="来电人反映小区电梯经常故障，请求协调维修。", unit="市场监管局"),
     {}, "先不投诉")
case([C("我也不想投诉谁，就是希望把垃圾清一清。"), ASK, C("我姓林，电话13855556666。")],
     dict(category="一般诉求", subcategory="环境卫生", caller_name="林先生", caller_phone="13855556666",
          event_location="", content="来电人希望清理路边垃圾。"),
     {}, "不想投诉")
case([C("我想知道这种事情去哪投诉比较好，装修公司跑路了。"), A("这个建议您拨打12315。请问您贵姓？"), C("姓宋，电话13966667777。")],
     dict(category="咨询", subcategory="消费维权", handling="直接办理", caller_name="宋女士",
          caller_phone="13966667777", event_location="", content="来电人咨询装修公司纠纷投诉渠道，已告知12315。", unit="", dispatched_at=""),
     {}, "去哪投诉 is a question")
case([C("我要投诉，公交车司机开车打电话，太危险了。"), ASK, C("我姓唐，手机13077778888。")],
     dict(category="投诉举报", subcategory="公共交通", caller_name="唐先生", caller_phone="13077778888",
          event_location="", content="来电人投诉公交司机驾驶时打电话，存在安全隐患。", unit="市交通运输局"),
     {}, "complaint recorded and dispatched")
case([C("我要举报我们单位领导收红包，违法乱纪。"), A("这个不在市长热线受理范围，您可以拨打纪检委电话12388。请问您贵姓？"),
      C("这个就匿名吧，不留名。")],
     dict(category="投诉举报", subcategory="违法乱纪", handling="直接办理", caller_name="匿名",
          caller_phone="", event_location="", content="来电人举报单位领导收受红包，已告知纪检委电话12388。", unit="", dispatched_at=""),
     {}, "违法乱纪 rightly not dispatched; anonymous by request")
case([C("我要投诉不动产登记中心窗口的人，态度太差，把材料扔出来。"), ASK, C("我姓许，电话13188889999。")],
     dict(category="投诉举报", subcategory="服务态度", handling="直接办理", caller_name="许女士",
          caller_phone="13188889999", event_location="", content="来电人投诉不动产登记中心窗口工作人员态度恶劣。", unit="", dispatched_at=""),
     {"compl": "violated"}, "staff complaint handled 直接办理")
case([C("我要投诉法院，判决以后一直不执行。"), A("涉法涉诉的问题请您向上一级法院反映。请问您贵姓？"), C("姓韩，电话13299990000。")],
     dict(category="投诉举报", subcategory="涉法涉诉", handling="直接办理", caller_name="韩先生",
          caller_phone="13299990000", event_location="", content="来电人投诉法院判决不执行，已引导向上级法院反映。", unit="", dispatched_at=""),
     {}, "涉法涉诉 rightly not dispatched")
case([C("我要投诉，自来水管爆了一上午没人来修，满街都是水，在滨江大道。"), ASK, C("我姓曹，电话13311112233。")],
     dict(category="投诉举报", subcategory="供水", handling="电话交办", urgency="急办", caller_name="曹先生",
          caller_phone="13311112233", event_location="滨江大道", content="来电人投诉滨江大道自来水管爆裂半天无人维修。", unit="市自来水公司"),
     {}, "complaint handled 电话交办 (a unit is called)")
case([C("我想表扬一下你们12345，上次帮我解决了问题。"), ASK, C("我姓邓，电话13322223344。")],
     dict(category="投诉举报", subcategory="其他", caller_name="邓女士", caller_phone="13322223344",
          event_location="", content="来电人对市长热线表示感谢。", unit="市长热线办公室"),
     {"cat": "violated"}, "表扬 recorded as 投诉举报")
case([C("我就是要投诉他们！物业收了钱不干活。"), ASK, C("我姓彭，电话13433334455。")],
     dict(category="一般诉求", subcategory="物业管理", caller_name="彭先生", caller_phone="13433334455",
          event_location="", content="来电人反映物业收费后不履行服务。", unit="市住建局"),
     {"cat": "violated"}, "就是要投诉 written as 一般诉求")
case([C("我又来投诉了，翠湖社区门口那个垃圾站臭得要命。"), ASK, C("我姓曾，电话13544445566。")],
     dict(category="投诉举报", subcategory="环境卫生", caller_name="曾女士", caller_phone="13544445566",
          event_location="翠湖社区门口", content="来电人再次投诉翠湖社区门口垃圾站异味严重。"),
     {}, "又来投诉: complaint and repeat both recorded")
case([C("嗯，这个事情吧，我们单位的人说，不是我要投诉谁，就是问一下公积金能不能提。"), A("可以的，请问您贵姓？"), C("姓肖，电话13655556677。")],
     dict(category="咨询", subcategory="公积金", handling="直接办理", caller_name="肖先生",
          caller_phone="13655556677", event_location="", content="来电人咨询公积金提取，已解答。", unit="", dispatched_at=""),
     {}, "不是我要投诉 negated")
case([A("您好，这边是三方通话，自来水公司的同志在线。"), U("您好，您说的投诉我们已经收到了。"),
      C("好的，那你们什么时候来修？在阳光花园3号楼。"), A("请问您贵姓？"), C("姓田，电话13766667788。")],
     dict(category="一般诉求", subcategory="供水", caller_name="田女士", caller_phone="13766667788",
          event_location="阳光花园3号楼", content="来电人反映阳光花园3号楼停水，已三方通话自来水公司。", unit="市自来水公司"),
     {}, "unit says 投诉, caller never does")

# ---------------- name ----------------
case([C("免贵姓张，我反映一下我们小区停车的事。"), A("好的，联系电话是多少？"), C("13812340001。")],
     dict(caller_name="李女士", caller_phone="13812340001", content="来电人反映小区停车难。"),
     {"name": "violated"}, "免贵姓张 recorded 李女士")
case([C("我叫李明，木子李，明天的明，电话13812340002，我反映噪音。")],
     dict(caller_name="李明", caller_phone="13812340002", content="来电人反映夜间噪音扰民。"),
     {}, "我叫李明 recorded 李明")
case([C("我叫刘晓红，电话13812340003，我们楼下饭店的空调外机太吵了。")],
     dict(caller_name="匿名", caller_phone="13812340003", content="来电人反映楼下饭店空调外机噪音。"),
     {"name": "violated"}, "name given, recorded 匿名")
case([C("名字就不方便透露了，电话你记一下13812340004，楼顶有人搭违建。")],
     dict(caller_name="匿名", caller_phone="13812340004", content="来电人反映楼顶有违章搭建。"),
     {}, "不方便透露 → 匿名 is right")
case([C("你就叫我赵先生吧，电话13812340005，我说一下公交站牌的事。")],
     dict(caller_name="钱先生", caller_phone="13812340005", content="来电人反映公交站牌信息错误。"),
     {"name": "violated"}, "caller calls himself 赵先生, recorded 钱先生")
case([A("王先生您好，请问有什么可以帮您？"), C("我反映下水道堵了，电话13812340006。")],
     dict(caller_name="张先生", caller_phone="13812340006", content="来电人反映下水道堵塞。"),
     {}, "agent says 王先生; the caller gives no surname")
case([C("我姓章，电话13812340007，小区门口的井盖丢了。")],
     dict(caller_name="张先生", caller_phone="13812340007", content="来电人反映小区门口井盖丢失。"),
     {"name": "violated"}, "homophone 章/张: finding expected as needs_review, no deduction")
case([C("我姓欧阳，电话13812340008，想反映一下学校门口接送车堵路。")],
     dict(caller_name="欧阳女士", caller_phone="13812340008", content="来电人反映学校门口接送车辆拥堵。"),
     {}, "compound surname 欧阳")
case([C("我姓陈，耳东陈，电话13812340009，路边的树要倒了。")],
     dict(caller_name="陈女士", caller_phone="13812340009", content="来电人反映路边树木倾斜。"),
     {}, "我姓陈，耳东陈")
case([C("我想匿名反映，电话就不留了，有个黑作坊在生产假酒。")],
     dict(category="投诉举报", subcategory="食品安全", caller_name="匿名", caller_phone="", content="来电人匿名举报黑作坊生产假酒。", unit="市场监管局"),
     {}, "匿名 by request")
case([C("我姓王，三横一竖那个王，电话13812340010，反映广告牌松了。")],
     dict(caller_name="黄先生", caller_phone="13812340010", content="来电人反映广告牌松动。"),
     {"name": "violated"}, "王 recorded 黄 (different pinyin)")
case([C("叫我老周就行，电话13812340011，小区里有人遛狗不拴绳。")],
     dict(caller_name="周先生", caller_phone="13812340011", content="来电人反映小区内遛狗不拴绳。"),
     {}, "老周 recorded 周先生")
case([C("我姓马，电话13812340012，我们这儿的公厕一直锁着。"), A("马女士您好，我记下了。")],
     dict(caller_name="马女士", caller_phone="13812340012", content="来电人反映公厕长期锁闭。"),
     {}, "我姓马 recorded 马女士")
case([C("我是胡先生，电话13812340013，楼下天天有人打麻将到半夜。")],
     dict(caller_name="何先生", caller_phone="13812340013", content="来电人反映楼下打麻将至深夜。"),
     {"name": "violated"}, "我是胡先生 recorded 何先生")

# ---------------- phone ----------------
case([C("我姓杨，电话是幺三八 幺二三四 五六七八，那个红绿灯坏了。")],
     dict(caller_name="杨先生", caller_phone="13812345678", content="来电人反映红绿灯故障。"),
     {}, "幺 spoken, in groups")
case([C("我姓朱，电话一三九，两四六八，一三五七。路面塌了个坑。")],
     dict(caller_name="朱女士", caller_phone="13924681357", content="来电人反映路面塌陷出现大坑，存在安全隐患。"),
     {}, "一三九 两四六八 一三五七; 塌 recorded")
case([C("我姓秦，电话13705718899，我们家门口的路灯不亮。")],
     dict(caller_name="秦先生", caller_phone="13705718989", content="来电人反映家门口路灯不亮。"),
     {"phone": "violated"}, "digits swapped")
case([C("我姓尤，家里座机零幺零-六二三四五六七八，小区的暖气不热。")],
     dict(caller_name="尤先生", caller_phone="010-62345678", content="来电人反映小区暖气温度不达标。"),
     {}, "landline 零幺零 with area code")
case([C("我姓许，座机区号零五七一，号码八六二三四五六，附近的河道有死鱼。")],
     dict(caller_name="许先生", caller_phone="0571-8623456", content="来电人反映附近河道出现大量死鱼。"),
     {}, "area code said apart, 7-digit landline")
case([C("我姓吕，电话13812345678，不对不对，是13812345687，楼上漏水。")],
     dict(caller_name="吕女士", caller_phone="13812345687", content="来电人反映楼上漏水。"),
     {}, "correction 不对是…, ticket has the corrected number")
case([C("我姓施，电话幺三九 零零零零 幺幺幺幺，不对，最后是幺幺幺二，公园的健身器材坏了。")],
     dict(caller_name="施先生", caller_phone="13900001111", content="来电人反映公园健身器材损坏。"),
     {"phone": "violated"}, "correction ignored: ticket keeps the wrong number")
case([C("我姓张，联系电话就这个号，我们小区门口的快递车乱停。")],
     dict(caller_name="张先生", caller_phone="15955556666", content="来电人反映小区门口快递车乱停。"),
     {}, "就这个号 = caller_number", caller_number="15955556666")
case([C("我姓孔，电话就打这个号就行，地下车库老是积水。")],
     dict(caller_name="孔先生", caller_phone="15955557778", content="来电人反映地下车库积水。"),
     {"phone": "violated"}, "就这个号 but ticket differs from caller_number", caller_number="15955557777")
case([C("我姓曹，就这个号，你们打回来就行，路口的摄像头歪了。")],
     dict(caller_name="曹先生", caller_phone="13100002222", content="来电人反映路口摄像头歪斜。"),
     {"phone": "na"}, "就这个号 without caller_number: not checked")
case([C("我姓袁，电话是138 幺幺五二 三三四四，菜场门口污水横流。")],
     dict(caller_name="袁女士", caller_phone="13811523344", content="来电人反映菜场门口污水横流。"),
     {}, "digits mixed with Chinese numerals")
case([C("我姓邹，电话一八六，零零幺二，三四五六，有人在绿化带里种菜。")],
     dict(caller_name="邹先生", caller_phone="18600123465", content="来电人反映有人占用绿化带种菜。"),
     {"phone": "violated"}, "spoken number vs ticket with last digits swapped")
case([C("我姓喻，号码是加八六 一三九 一一一一 二二二二，隔壁工地扬尘很大。")],
     dict(caller_name="喻女士", caller_phone="13911112222", content="来电人反映隔壁工地扬尘严重。"),
     {}, "+86 prefix spoken")
case([C("我姓苏，座机六二三四五六七八，楼下的下水道返味。")],
     dict(caller_name="苏先生", caller_phone="62345687", content="来电人反映楼下下水道返味。"),
     {"phone": "violated"}, "landline without area code, ticket different")
case([C("我姓潘，手机号是一五零 一二三四 五六七八，小区的门禁坏了。")],
     dict(caller_name="潘女士", caller_phone="150-1234-5678", content="来电人反映小区门禁损坏。"),
     {}, "ticket number written with dashes")
case([C("我姓葛，电话幺八八 两两两两 六六六六，我家住在长青小区5号楼2单元501，楼道灯不亮。")],
     dict(caller_name="葛先生", caller_phone="18822226666", event_location="长青小区5号楼", content="来电人反映长青小区5号楼楼道灯不亮。"),
     {}, "两 for 2; a room number is no phone number")
case([C("我姓范，电话0571-86123456，花了两百三十块钱买的票退不了。")],
     dict(caller_name="范先生", caller_phone="86123456", content="来电人反映购票后无法退票，金额230元。", category="一般诉求"),
     {}, "ticket has the landline without area code: same number")
case([C("我姓彭，电话是一三七，八八八八，九九九九，不是九九九八啊，你别记错了。垃圾桶满了。")],
     dict(caller_name="彭女士", caller_phone="13788889999", content="来电人反映垃圾桶满溢未清运。"),
     {}, "不是… after the number is not a correction of it")

# ---------------- place ----------------
case([C("我姓鲁，电话13812340101，建设路上有个井盖翘起来了。")],
     dict(caller_name="鲁先生", caller_phone="13812340101", event_location="城东区", content="来电人反映路上井盖翘起。"),
     {"place": "violated"}, "建设路 missing")
case([C("我姓韦，电话13812340102，和平街菜店门口天天堆垃圾。")],
     dict(caller_name="韦女士", caller_phone="13812340102", event_location="和平街", content="来电人反映菜店门口堆放垃圾。"),
     {}, "和平街 recorded")
case([C("我姓昌，电话13812340103，和平街那个公交站的顶棚漏雨。")],
     dict(caller_name="昌先生", caller_phone="13812340103", event_location="城北区", content="来电人反映公交站顶棚漏雨。"),
     {"place": "violated"}, "和平街 missing")
case([C("我姓马，电话13812340104，我们王家村的路好几个月没修了。")],
     dict(caller_name="马先生", caller_phone="13812340104", event_location="城南区", content="来电人反映村里道路长期未修。"),
     {"place": "violated"}, "王家村 missing")
case([C("我姓苗，电话13812340105，李家镇中学门口的减速带没了。")],
     dict(caller_name="苗女士", caller_phone="13812340105", event_location="", content="来电人反映李家镇中学门口减速带缺失。"),
     {}, "李家镇 in content")
case([C("我姓花，电话13812340106，人民广场晚上跳广场舞的音响太大了。")],
     dict(caller_name="花女士", caller_phone="13812340106", event_location="人民广场", content="来电人反映广场舞音响噪音扰民。"),
     {}, "人民广场 recorded")
case([C("我姓方，电话13812340107，国贸大厦的外墙瓷砖往下掉，太危险了。")],
     dict(caller_name="方先生", caller_phone="13812340107", event_location="市中心", content="来电人反映大厦外墙瓷砖脱落，存在危险。"),
     {"place": "violated"}, "国贸大厦 missing; danger recorded")
case([C("我姓任，电话13812340108，我们小区的路灯坏了，马路上也黑。")],
     dict(caller_name="任先生", caller_phone="13812340108", event_location="", content="来电人反映小区路灯损坏。"),
     {}, "generic 我们小区 / 马路: no proper name")
case([C("我姓袁，电话13812340109，市第一人民医院门口的出租车乱停。")],
     dict(caller_name="袁先生", caller_phone="13812340109", event_location="第一人民医院门口", content="来电人反映医院门口出租车乱停。"),
     {}, "第一人民医院 recorded")
case([A("您说的是建设路吗？"), C("对，就那儿，电话13812340110，我姓柳，有人在那儿烧垃圾。")],
     dict(caller_name="柳先生", caller_phone="13812340110", event_location="城东区", content="来电人反映有人露天焚烧垃圾。"),
     {}, "only the agent names the place")
case([C("我姓柏，电话13812340111，滨江大道晚上有人飙车，声音特别大。")],
     dict(caller_name="柏先生", caller_phone="13812340111", event_location="江边", content="来电人反映夜间有人飙车噪音扰民。"),
     {"place": "violated"}, "滨江大道 missing")
case([C("我姓窦，电话13812340112，市实验学校门口的人行道被占了。")],
     dict(caller_name="窦女士", caller_phone="13812340112", event_location="实验学校", content="来电人反映学校门口人行道被占用。"),
     {}, "实验学校 recorded")
case([C("我姓章，电话13812340113，碧桂苑的业主群说电梯年检过期了。")],
     dict(caller_name="章女士", caller_phone="13812340113", event_location="", content="来电人反映碧桂苑电梯年检过期。"),
     {}, "碧桂苑 in content")
case([C("我姓云，电话13812340114，翠湖社区的健身广场灯全不亮。")],
     dict(caller_name="云先生", caller_phone="13812340114", event_location="城西区", content="来电人反映社区健身场地灯光不亮。"),
     {"place": "violated"}, "翠湖社区 missing")
case([C("我姓苏，电话13812340115，我一路走过来，街上到处是共享单车乱放。")],
     dict(caller_name="苏女士", caller_phone="13812340115", event_location="", content="来电人反映共享单车乱停放。"),
     {}, "一路 / 街上: no proper name")
case([C("我姓潘，电话13812340116，青年路幸福巷口的消防通道被车堵了。")],
     dict(caller_name="潘先生", caller_phone="13812340116", event_location="幸福巷口", content="来电人反映巷口消防通道被车辆堵塞。"),
     {"place": "violated"}, "幸福巷 recorded, 青年路 missing")
case([C("我姓葛，电话13812340117，人民公园的湖边护栏断了。")],
     dict(caller_name="葛女士", caller_phone="13812340117", event_location="", content="来电人反映人民公园湖边护栏断裂。"),
     {}, "人民公园 in content")

# ---------------- harm ----------------
case([C("我姓奚，电话13812340201，我家孩子在锦绣花园的滑梯上摔下来，胳膊骨折了，滑梯螺丝松了。")],
     dict(caller_name="奚女士", caller_phone="13812340201", event_location="锦绣花园", content="来电人反映锦绣花园儿童滑梯螺丝松动，请求维修。"),
     {"harm": "violated"}, "child's fracture left out")
case([C("我姓范，电话13812340202，锦绣花园的滑梯螺丝松了，我家孩子摔下来骨折了。")],
     dict(caller_name="范女士", caller_phone="13812340202", event_location="锦绣花园", content="来电人反映锦绣花园滑梯螺丝松动，致其孩子摔伤骨折。"),
     {}, "fracture recorded")
case([C("我姓彭，电话13812340203，路口两个车撞了，还好没有人受伤，就是堵得厉害。")],
     dict(caller_name="彭先生", caller_phone="13812340203", content="来电人反映路口交通事故造成拥堵。"),
     {}, "没有人受伤")
case([C("我姓鲍，电话13812340204，楼道里一股煤气味，好像漏气了。")],
     dict(caller_name="鲍先生", caller_phone="13812340204", urgency="急办", handling="电话交办", content="来电人反映楼道内疑似燃气漏气，已电话交办燃气公司。", unit="市燃气公司"),
     {}, "漏气 recorded")
case([C("我姓史，电话13812340205，我爸在小区里晕倒了，救护车叫了半天不来。")],
     dict(caller_name="史先生", caller_phone="13812340205", urgency="急办", content="来电人称其父亲在小区内晕倒，反映救护车迟迟未到。", unit="市卫健委"),
     {}, "晕倒 recorded")
case([C("我姓唐，电话13812340206，那个渣土车开得飞快，差点把我撞了。")],
     dict(caller_name="唐女士", caller_phone="13812340206", content="来电人反映渣土车超速行驶。", unit="市交警支队"),
     {"harm": "violated"}, "差点…撞 left out")
case([C("我姓费，电话13812340207，风太大了，树枝掉下来，幸亏没砸到人。")],
     dict(caller_name="费先生", caller_phone="13812340207", content="来电人反映大风致树枝掉落。"),
     {}, "幸亏没砸到人")
case([C("我姓廉，电话13812340208，我们家后面的围墙塌了一块，下面就是小孩玩的地方。")],
     dict(caller_name="廉女士", caller_phone="13812340208", content="来电人反映围墙坍塌，存在安全隐患。"),
     {}, "塌 recorded as 坍塌")
case([C("我姓岑，电话13812340209，我们楼道里电动车充电起火了，火现在灭了。")],
     dict(caller_name="岑先生", caller_phone="13812340209", content="来电人反映楼道内有电动车充电。"),
     {"harm": "violated"}, "起火 left out")
case([C("我姓薛，电话13812340210，小区门口的台阶结冰了，我妈差点摔倒。")],
     dict(caller_name="薛女士", caller_phone="13812340210", content="来电人反映小区门口台阶结冰。"),
     {"harm": "violated"}, "差点摔倒 left out")
case([A("请问有人受伤吗？"), C("没有没有。我姓雷，电话13812340211，就是那个路牌倒了。")],
     dict(caller_name="雷先生", caller_phone="13812340211", content="来电人反映路牌倾倒。"),
     {}, "agent asks 受伤; caller says no")
case([C("我姓贺，电话13812340212，电线掉在地上，我邻居碰了一下触电了，现在还在医院。")],
     dict(caller_name="贺先生", caller_phone="13812340212", urgency="急办", content="来电人反映电线掉落地面。", unit="市供电公司"),
     {"harm": "violated"}, "触电 left out")
case([C("我姓倪，电话13812340213，我们在那家饭店吃完饭好几个人食物中毒了，上吐下泻。")],
     dict(caller_name="倪女士", caller_phone="13812340213", category="投诉举报", content="来电人投诉某饭店，称多人就餐后疑似食物中毒。", unit="市场监管局"),
     {}, "中毒 recorded")
case([C("我姓汤，电话13812340214，受伤倒是没有，就是那个坑太大了。")],
     dict(caller_name="汤先生", caller_phone="13812340214", content="来电人反映路面有大坑。"),
     {}, "受伤倒是没有")

# ---------------- repeat ----------------
case([C("我姓滕，电话13812340301，这是我第三次打了，小区门口的污水井还在冒水。")],
     dict(caller_name="滕先生", caller_phone="13812340301", content="来电人反映小区门口污水井冒水。"),
     {"repeat": "violated"}, "第三次打 left out")
case([C("我姓殷，电话13812340302，我这是第二次反映了，路灯还是不亮。")],
     dict(caller_name="殷女士", caller_phone="13812340302", content="来电人再次反映路灯不亮。"),
     {}, "第二次反映 → 再次")
case([C("我姓罗，电话13812340303，上次反映过楼下的烧烤摊，到现在还没解决。")],
     dict(caller_name="罗女士", caller_phone="13812340303", content="来电人称此前反映过楼下烧烤摊问题，至今未解决。"),
     {}, "上次反映 → 此前")
case([C("我姓毕，电话13812340304，之前打过好几次了，那个违建一直没人拆。")],
     dict(caller_name="毕先生", caller_phone="13812340304", content="来电人反映违章建筑未拆除。"),
     {"repeat": "violated"}, "之前打过好几次 left out")
case([C("我姓郝，电话13812340305，这是我第一次打，就是想问问垃圾分类的事。")],
     dict(caller_name="郝女士", caller_phone="13812340305", content="来电人反映垃圾分类设施不足。"),
     {}, "第一次")
case([C("我姓邬，电话13812340306，我们小区又脏又乱，没人打扫。")],
     dict(caller_name="邬先生", caller_phone="13812340306", content="来电人反映小区环境卫生差。"),
     {}, "又脏又乱 is not a repeat")
case([C("我姓安，电话13812340307，那个工地又开始夜里施工了。")],
     dict(caller_name="安女士", caller_phone="13812340307", content="来电人反映工地夜间施工。"),
     {}, "又开始施工 is not a report made before")
case([C("我姓常，电话13812340308，这个问题我多次反映了，物业就是不管。")],
     dict(caller_name="常先生", caller_phone="13812340308", content="来电人多次反映物业不作为。"),
     {}, "多次反映 recorded")
case([C("我姓乐，电话13812340309，我打了好几次电话了都没人管，楼上天天往下扔垃圾。")],
     dict(caller_name="乐女士", caller_phone="13812340309", content="来电人反映楼上高空抛物。"),
     {"repeat": "violated"}, "打了好几次电话 left out")
case([C("我姓于，电话13812340310，这已经是我们这儿今年第二次停水了，一停就是一天。")],
     dict(caller_name="于先生", caller_phone="13812340310", content="来电人反映小区停水一天。"),
     {}, "第二次停水 is not a report made before")
case([C("我姓时，电话13812340311，这是第四次打电话反映了，噪音还是没人管。")],
     dict(caller_name="时女士", caller_phone="13812340311", content="来电人第4次来电反映噪音问题。"),
     {}, "第四次打 recorded as 第4次")

# ---------------- risk ----------------
case([C("我姓傅，电话13812340401，工资拖了半年，再不给我就不想活了。")],
     dict(caller_name="傅先生", caller_phone="13812340401", content="来电人反映被拖欠工资半年。", unit="市人社局"),
     {"risk": "violated"}, "不想活了 not escalated (critical)")
case([C("我姓皮，电话13812340402，工资拖了半年，我真的不想活了。")],
     dict(caller_name="皮先生", caller_phone="13812340402", urgency="急办", hot_issue="是", content="来电人反映被拖欠工资半年，情绪激动，称不想活了。", unit="市人社局"),
     {}, "不想活了 escalated and recorded")
case([C("我姓卞，电话13812340403，开发商不交房，我们业主准备拉横幅了。")],
     dict(caller_name="卞女士", caller_phone="13812340403", hot_issue="是", content="来电人反映开发商逾期不交房，业主称准备拉横幅。", unit="市住建局"),
     {}, "拉横幅 escalated and recorded")
case([C("我姓齐，电话13812340404，开发商不交房，我们几十户要集体上访。")],
     dict(caller_name="齐先生", caller_phone="13812340404", content="来电人反映开发商逾期不交房。", unit="市住建局"),
     {"risk": "violated"}, "集体上访 not escalated")
case([C("我姓康，电话13812340405，再不解决，我们明天就去市政府门口堵门。")],
     dict(caller_name="康先生", caller_phone="13812340405", content="来电人反映小区长期停水问题。", unit="市自来水公司"),
     {"risk": "violated"}, "堵门 at 市政府门口 not escalated")
case([C("我姓伍，电话13812340406，我也不想闹大，就是希望物业把账目公开。")],
     dict(caller_name="伍女士", caller_phone="13812340406", content="来电人希望物业公开账目。", unit="市住建局"),
     {}, "不想闹大")
case([A("您有问题我们会反映，请不要去上访。"), C("嗯，我姓余，电话13812340407，你们快点处理就行。")],
     dict(caller_name="余先生", caller_phone="13812340407", content="来电人反映小区违建问题。"),
     {}, "上访 said by the agent")
case([C("我姓元，电话13812340408，再拖下去我就找媒体曝光。")],
     dict(caller_name="元女士", caller_phone="13812340408", urgency="急办", content="来电人反映装修押金不退。", unit="市场监管局"),
     {"risk": "violated"}, "urgency raised but content does not record 曝光")
case([C("我姓卜，电话13812340409，这事不给个说法我就发到网上。")],
     dict(caller_name="卜先生", caller_phone="13812340409", hot_issue="是", content="来电人反映押金不退，称将发到网上。", unit="市场监管局"),
     {}, "发到网上 recorded and escalated")
case([C("我姓顾，电话13812340410，气死我了，那个快递站天天把包裹扔地上。")],
     dict(caller_name="顾女士", caller_phone="13812340410", content="来电人反映快递站乱扔包裹。", unit="市邮政管理局"),
     {}, "气死我了 is not self-harm")
case([C("我姓孟，电话13812340411，我们准备明天去堵路，大家都说好了。")],
     dict(caller_name="孟先生", caller_phone="13812340411", content="来电人反映村道被封。"),
     {"risk": "violated"}, "堵路 not escalated")
case([C("我姓平，电话13812340412，我没说要上访啊，就是想把问题解决了。")],
     dict(caller_name="平女士", caller_phone="13812340412", content="来电人反映小区绿化被毁。"),
     {}, "没说要上访")


# ---------------- more: complaints not dispatched, repeats, harm, risk ----------------
case([C("我举报，和平街夜市有人卖假烟，我姓雷，电话13812340601。")],
     dict(category="投诉举报", subcategory="违法违规经营", handling="直接办理", caller_name="雷女士", caller_phone="13812340601",
          event_location="和平街夜市", content="来电人举报和平街夜市有人售卖假烟。"),
     {"compl": "violated"}, "违法违规经营 complaint handled 直接办理 (not 违法乱纪)")
case([C("我要投诉税务局大厅的工作人员，一直玩手机不理人，我姓关，电话13812340602。")],
     dict(category="投诉举报", subcategory="工作作风", handling="直接办理", caller_name="关先生", caller_phone="13812340602",
          content="来电人投诉税务局办税大厅工作人员工作时间玩手机。"),
     {"compl": "violated"}, "staff complaint handled 直接办理")
case([C("我姓蒋，电话13812340603，我举报我们村的干部贪污扶贫款。"), A("这类问题请您拨打纪检委电话12388反映。")],
     dict(category="投诉举报", subcategory="违法乱纪", handling="直接办理", caller_name="蒋先生", caller_phone="13812340603",
          content="来电人举报村干部贪污扶贫款，已告知纪检委电话12388。"),
     {}, "违法乱纪 rightly not dispatched")
case([C("我来就是举报的，有人在河里电鱼，我姓严，电话13812340604。")],
     dict(category="咨询", subcategory="环境保护", caller_name="严先生", caller_phone="13812340604",
          content="来电人反映有人在河道电鱼。", unit="市农业农村局"),
     {"cat": "violated"}, "就是举报的 written as 咨询")
case([C("我姓华，电话13812340605，我又打电话来了，上礼拜说的那个井盖还没盖上。")],
     dict(caller_name="华女士", caller_phone="13812340605", subcategory="井盖", content="来电人反映井盖缺失未修复。"),
     {"repeat": "violated"}, "又打 left out")
case([C("我姓金，电话13812340606，我上个月就反映过一次了，小区的化粪池一直往外冒。")],
     dict(caller_name="金先生", caller_phone="13812340606", subcategory="排水", content="来电人曾于上月反映小区化粪池外溢，至今未处理。"),
     {}, "反映过 recorded as 曾…反映")
case([C("我姓魏，电话13812340607，这个事我都反映好几次了，广场舞的音响还是那么响。")],
     dict(caller_name="魏女士", caller_phone="13812340607", subcategory="噪音扰民", content="来电人反映广场舞音响噪音扰民。"),
     {"repeat": "violated"}, "反映好几次 left out")
case([C("我姓陶，电话13812340608，我重复反映这个问题了，路边的违停没人管。")],
     dict(caller_name="陶先生", caller_phone="13812340608", subcategory="违章停车", content="来电人重复反映路边违停问题。"),
     {}, "重复反映 recorded")
case([C("我姓姜，电话13812340609，前面那个工地的塔吊掉下来一块铁板，砸到一个路人，已经送医院了。")],
     dict(caller_name="姜先生", caller_phone="13812340609", subcategory="建筑施工", urgency="急办", content="来电人反映工地塔吊有物体掉落。", unit="市住建局"),
     {"harm": "violated"}, "砸到 a passer-by left out")
case([C("我姓戚，电话13812340610，我们楼的老人因为电梯停了没法下楼，昨天去世了。")],
     dict(caller_name="戚女士", caller_phone="13812340610", subcategory="电梯", content="来电人反映电梯停运，一老人昨日去世。", unit="市场监管局"),
     {}, "去世 recorded")
case([C("我姓谢，电话13812340611，我儿子被那条狗咬了，现在住院了。")],
     dict(caller_name="谢先生", caller_phone="13812340611", subcategory="犬只管理", content="来电人反映小区内有犬只无人看管。"),
     {"harm": "violated"}, "住院 left out")
case([C("我姓邹，电话13812340612，老板卷款跑了，我欠的钱还不上，我想跳河算了。")],
     dict(caller_name="邹女士", caller_phone="13812340612", subcategory="劳动保障", content="来电人反映老板拖欠工资后失联。", unit="市人社局"),
     {"risk": "violated"}, "跳河 not escalated (critical)")
case([C("我姓喻，电话13812340613，他们再来强拆我就跟他们同归于尽。")],
     dict(caller_name="喻先生", caller_phone="13812340613", subcategory="征地拆迁", urgency="一般应急", hot_issue="是",
          content="来电人反映房屋被强拆，情绪激动，称要与对方同归于尽。", unit="城南区政府"),
     {}, "同归于尽 escalated and recorded")
case([C("我姓柴，电话13812340614，我婆婆说再不给看病她就喝药。")],
     dict(caller_name="柴女士", caller_phone="13812340614", subcategory="医疗保障", hot_issue="是", content="来电人反映婆婆看病报销问题。", unit="市医保局"),
     {"risk": "violated"}, "hot_issue set but content does not record 喝药")
case([C("我姓祝，电话13812340615，这个事情不解决，我们就去曝光。")],
     dict(caller_name="祝先生", caller_phone="13812340615", subcategory="物业管理", urgency="普通", hot_issue="否",
          content="来电人反映物业乱收费，称将向媒体曝光。", unit="市住建局"),
     {"risk": "violated"}, "曝光 recorded in content but neither hot_issue nor urgency")
case([C("我姓熊，电话13812340616，那个桥上有个人想轻生，你们快派人！")],
     dict(caller_name="熊先生", caller_phone="13812340616", subcategory="紧急求助", category="求助", handling="电话交办", urgency="重大应急", hot_issue="是",
          content="来电人反映桥上有人欲轻生，已电话交办110。", unit="市公安局"),
     {}, "轻生 escalated and recorded")

# ---------------- not assessable ----------------
case([C("我要投诉！这是我第三次打了，再不管我就不想活了。我姓王，电话13812340501，在建设路。")],
     None, {}, "no ticket: nothing assessable", no_ticket=True)
case([C("我举报，那边工地有人摔伤了，我们要拉横幅。我叫李强，电话幺三八幺二三四零五零二，和平街。")],
     None, {}, "no ticket: nothing assessable", no_ticket=True)
case([A("喂您好？请问能听到吗？"), A("您好，这边听不到您的声音，请您稍后再拨。")],
     dict(caller_name="匿名", caller_phone="", event_location="", content="来电无声。", category="咨询", handling="直接办理", unit="", dispatched_at=""),
     {r: "na" for r in RULES}, "no caller speech")
case([C("我要投诉你们，上次反映过的事还没解决，我姓周，电话13812340504，在碧桂苑。")],
     None, {}, "no ticket", no_ticket=True)
case([A("您好，请问还在吗？"), A("由于长时间没有声音，我先挂断了，再见。")],
     dict(caller_name="匿名", caller_phone="", content="无声来电。", category="一般诉求", handling="工单转办"),
     {r: "na" for r in RULES}, "no caller speech, ticket filled in")

# ---------------------------------------------------------------------
start = datetime(2026, 11, 30, 9, 0, 0)
calls, tickets, labels = [], [], []
for i, c in enumerate(CASES, 1):
    cid = f"H19-{i:03d}"
    st = start + timedelta(minutes=17 * i)
    utts, t = [], 0.5
    def say(sp, text):
        global t
        d = max(2.0, len(text) * 0.22)
        utts.append({"speaker": {"a": "agent", "c": "caller", "u": "unit"}[sp],
                     "start": round(t, 1), "end": round(t + d, 1), "text": text, "confidence": 0.93})
        t += d + 0.8
    if c["greet"] and not (c["turns"] and c["turns"][0][0] == "a" and c["turns"][0][1].startswith("您好")):
        say("a", "您好！市长热线，请问有什么可以帮到您？")
    for sp, text in c["turns"]:
        say(sp, text)
    if any(sp == "c" for sp, _ in c["turns"]):
        say("a", "好的，我已经记录下来了，会尽快为您反映。")
        say("c", "好的，谢谢。")
    say("a", "感谢您的来电，再见！")
    call = {"call_id": cid, "operator_id": f"30{i % 7 + 1:02d}", "operator_name": "话务员" + "甲乙丙丁戊己庚"[i % 7],
            "team": "AB"[i % 2] + "班", "started_at": st.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "ended_by": "agent", "utterances": utts}
    if c["caller_number"]:
        call["caller_number"] = c["caller_number"]
    calls.append(call)
    if not c["no_ticket"]:
        tk = dict(ticket_id=f"GD19{i:04d}", call_id=cid, operator_id=call["operator_id"],
                  accepted_at=(st + timedelta(minutes=4)).strftime("%Y-%m-%d %H:%M:%S"),
                  category="一般诉求", subcategory="市容环境", handling="工单转办", urgency="普通",
                  caller_name="", caller_phone="", event_time="", event_location="", content="",
                  unit="市城管局", unit_level="市直", hot_issue="否",
                  dispatched_at=(st + timedelta(minutes=40)).strftime("%Y-%m-%d %H:%M:%S"))
        tk.update(c["t"])
        if tk["handling"] == "直接办理":
            tk["dispatched_at"] = ""
            tk["unit"] = ""
        tickets.append(tk)
    for r, full in RULES.items():
        lab = "na" if c["no_ticket"] else c["labels"].get(r, "ok")
        labels.append(dict(call_id=cid, rule=full, label=lab, note=c["note"]))

HEAD = "ticket_id,call_id,operator_id,accepted_at,category,subcategory,handling,urgency,caller_name,caller_phone,event_time,event_location,content,complained_staff_name,complained_staff_no,unit,unit_level,hot_issue,dispatched_at,due_at,completed_at,feedback_at,urged_at,urged_by,supervised_at,callback_at,callback_operator_id,callback_result".split(",")
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "calls.jsonl"), "w", encoding="utf-8") as f:
    for c in calls:
        f.write(json.dumps(c, ensure_ascii=False) + "\n")
with open(os.path.join(OUT, "tickets.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, HEAD, restval="")
    w.writeheader()
    for tk in tickets:
        w.writerow(tk)
with open(os.path.join(OUT, "labels.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, ["call_id", "rule", "label", "note"])
    w.writeheader()
    w.writerows(labels)
with open(os.path.join(OUT, "directory.csv"), "w", encoding="utf-8", newline="") as f:
    f.write("name,phone,aliases\n市长热线,12345,\n市场监管投诉,12315,\n纪检委,12388,\n市自来水公司,2618110,自来水厂\n")
print(len(calls), "calls", len(tickets), "tickets")
