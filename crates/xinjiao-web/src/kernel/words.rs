//! What staff pages say instead of the machine's words: event types
//! (`record.created` → 创建记录), actors (`subject:9144…` → 主体「…」本人,
//! `demo-loader` → the account's name, 演示数据导入) and event details (JSON
//! → 原因：…；版本：2). The stable codes stay in the database, the API and
//! the exports; people read these.

use std::collections::HashMap;

use serde_json::Value;
use xinjiao_store::{Department, User};

/// Every event type the platform writes, with its Chinese name.
pub const EVENT_LABELS: &[(&str, &str)] = &[
    ("record.created", "创建记录"),
    ("record.updated", "更正记录"),
    ("record.approved", "审核通过并公示"),
    ("record.rejected", "审核退回"),
    ("record.withdrawn", "撤销公示"),
    ("subject.created", "登记信用主体"),
    ("subject.updated", "变更主体信息"),
    ("subject_account.activated", "激活主体账户"),
    ("claim_code.created", "出具主体账户激活码"),
    ("personal_data.read", "查看完整个人信息"),
    ("objection.filed", "提出异议"),
    ("objection.acknowledged", "受理异议"),
    ("objection.extended", "延长异议处理期限"),
    ("objection.upheld", "异议成立"),
    ("objection.rejected", "异议不成立"),
    ("repair.filed", "申请信用修复"),
    ("repair.accepted", "受理信用修复申请"),
    ("repair.approved", "准予信用修复"),
    ("repair.refused", "不予信用修复"),
    ("repair.revoked", "撤销信用修复"),
    ("submission.created", "上报文件"),
    ("declaration.saved", "申报应报送数"),
    ("document.created", "登记文件"),
    ("document.published", "公示文件"),
    ("department.review_changed", "变更发布前审核设置"),
    ("responsibilities.saved", "保存责任表"),
    ("organisation.saved", "载入组织机构"),
    ("calendar.loaded", "载入工作日日历"),
    ("user.created", "创建工作人员账号"),
    ("user.disabled", "停用工作人员账号"),
    ("user.enabled", "启用工作人员账号"),
    ("api_token.created", "创建 API 令牌"),
    ("api_token.revoked", "吊销 API 令牌"),
    ("credit_event.created", "登记信用事件"),
    ("evaluation.run", "开展信用评价"),
    ("result_objection.filed", "对评价结果提出异议"),
    ("result_objection.acknowledged", "受理评价结果异议"),
    ("result_objection.extended", "延长评价结果异议处理期限"),
    ("result_objection.upheld", "评价结果异议成立"),
    ("result_objection.rejected", "评价结果异议不成立"),
    ("inspection_matter.saved", "保存随机抽查事项"),
    ("inspector.saved", "登记执法检查人员"),
    ("inspector.conflict_declared", "申报检查回避"),
    ("draw.planned", "制定抽查计划（公布名录与承诺值）"),
    ("draw.run", "随机抽取检查对象和检查人员"),
    ("draw.rerun_refused", "拒绝重新抽取"),
    ("inspection.result", "录入并公开检查结果"),
    ("warning.raised", "产生信用风险预警"),
    ("warning.acknowledged", "签收预警"),
    ("warning.answered", "反馈预警处置情况"),
    ("vehicle.saved", "登记货运车辆档案"),
    ("overloads.imported", "导入超限检测记录"),
    ("list_entry.proposed", "提出列入名单"),
    ("list_entry.approved", "审核通过，公示"),
    ("list_entry.rejected", "审核不通过"),
    ("list_entry.confirmed", "公示期满，确认列入名单"),
    ("list_entry.withdrawn", "异议成立，撤销公示"),
    ("list_entry.ended", "提前移出名单"),
    ("list_objection.filed", "对名单公示提出异议"),
    ("list_objection.acknowledged", "受理名单异议"),
    ("list_objection.extended", "延长名单异议处理期限"),
    ("list_objection.upheld", "名单异议成立"),
    ("list_objection.rejected", "名单异议不成立"),
    ("check_partner.created", "登记信用核查合作方"),
    ("check_partner.revoked", "停用信用核查合作方令牌"),
    ("credit_check.made", "信用核查"),
    ("log.appended", "写入透明日志"),
    ("report.issued", "出具信用报告"),
    ("log_peer.added", "开始监测其他平台的透明日志"),
    ("log_peer.finding", "监测发现其他平台的透明日志异常"),
    ("commitment.signed", "签署信用承诺"),
    ("commitment.withdrawn", "撤回信用承诺"),
    ("commitment.void", "事项未获批准，承诺不生效"),
    ("commitment.in_force", "承诺随事项办结生效"),
    ("commitment.kept", "确认按期履行承诺"),
    ("commitment.kept_late", "确认逾期履行承诺"),
    ("commitment.not_kept", "认定未履行承诺"),
    ("commitment.false", "认定承诺不实"),
    ("commitment.licence_linked", "关联以承诺取得的许可"),
    ("education.acknowledged", "确认已阅读诚信教育材料"),
    ("monitoring.day_evaluated", "完成每日预警监测"),
    ("reminder_channels.saved", "设置部门提醒渠道"),
    ("outbox.requeued", "重新发送提醒"),
];

/// The Chinese name of an event type (an unknown type: 其他操作).
pub fn event_label(action: &str) -> &'static str {
    EVENT_LABELS.iter().find(|(a, _)| *a == action).map_or("其他操作", |(_, l)| l)
}

/// Names of the keys of event details.
const DETAIL_KEYS: &[(&str, &str)] = &[
    ("reason", "原因"),
    ("purpose", "用途"),
    ("version", "版本"),
    ("name", "名称"),
    ("legal_rep", "法定代表人"),
    ("decision_no", "依据的决定"),
    ("changed_fields", "改动的字段"),
    ("withdrawn_on", "撤销日期"),
    ("change_decided_on", "变更或撤销决定日期"),
    ("published", "已公示"),
    ("published_on", "公示日期"),
    ("pending", "待审核"),
    ("review_required", "发布前审核"),
    ("department_id", "部门"),
    ("kind", "类别"),
    ("month", "月份"),
    ("due", "应报送数"),
    ("rows", "行数"),
    ("rejected", "被拒绝行数"),
    ("accepted", "入库行数"),
    ("unchanged", "未变化行数"),
    ("submission_id", "上报编号"),
    ("document_id", "文件编号"),
    ("objection_id", "异议编号"),
    ("repair_id", "修复申请编号"),
    ("user_id", "账号编号"),
    ("username", "用户名"),
    ("role", "角色"),
    ("departments", "部门数"),
    ("divisions", "区划数"),
    ("year", "年度"),
    ("commitment_by", "承诺人"),
    ("attachments", "附件数"),
    ("by", "方式"),
    ("id", "编号"),
    ("scheme", "评价体系"),
    ("item", "评价事项"),
    ("basis", "依据"),
    ("run_id", "评价批次"),
    ("cycle", "评价周期"),
    ("as_of", "评价基准日"),
    ("subjects", "主体数"),
];

/// Words for the values the details hold in codes.
const VALUE_WORDS: &[(&str, &str)] = &[
    ("license", "行政许可"),
    ("penalty", "行政处罚"),
    ("clerk", "报送员"),
    ("coordinator", "信用工作协调员"),
    ("admin", "管理员"),
    ("claim_code", "激活码"),
];

/// Who did what, as staff read it.
pub struct Words {
    users: HashMap<String, String>,
    departments: HashMap<i64, String>,
}

impl Words {
    pub fn new(users: &[User], departments: &[Department]) -> Words {
        Words {
            users: users.iter().map(|u| (u.username.clone(), u.display_name.clone())).collect(),
            departments: departments.iter().map(|d| (d.id, d.name.clone())).collect(),
        }
    }

    /// An actor as staff read it: a staff member's name, 主体「name」本人
    /// (`subject_name` gives the subject's name from its key), 系统, 命令行.
    pub fn actor(&self, actor: &str, subject_name: impl Fn(&str) -> Option<String>) -> String {
        if let Some(key) = actor.strip_prefix("subject:") {
            return match subject_name(key) {
                Some(name) => format!("主体「{name}」本人"),
                None => "信用主体本人".to_string(),
            };
        }
        match actor {
            "subject" => "信用主体本人".to_string(),
            "system" => "系统".to_string(),
            "cli" => "服务器命令行".to_string(),
            a => self.users.get(a).cloned().unwrap_or_else(|| format!("账号 {a}")),
        }
    }

    /// An event's details (a JSON object) as 原因：…；版本：2, field codes
    /// by their names; empty when there is nothing to say.
    pub fn detail(&self, detail: &str) -> String {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(detail) else {
            return detail.to_string();
        };
        let mut parts = Vec::new();
        for (key, value) in map.iter().filter(|(_, v)| !v.is_null()) {
            let label = DETAIL_KEYS.iter().find(|(k, _)| k == key).map_or(key.as_str(), |(_, l)| l);
            let text = match key.as_str() {
                "department_id" => {
                    value.as_i64().and_then(|id| self.departments.get(&id).cloned()).unwrap_or_else(|| plain(value))
                }
                "changed_fields" => value
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).map(field_name).collect::<Vec<_>>().join("、"))
                    .unwrap_or_else(|| plain(value)),
                _ => plain(value),
            };
            if !text.is_empty() {
                parts.push(format!("{label}：{text}"));
            }
        }
        parts.join("；")
    }
}

/// A standard field's name from its code (the code itself when unknown).
fn field_name(code: &str) -> String {
    [xinjiao_core::RecordKind::License, xinjiao_core::RecordKind::Penalty]
        .iter()
        .find_map(|k| k.field(code))
        .map_or_else(|| code.to_string(), |d| d.plain_name().to_string())
}

/// A value in words: 是/否, a change as 「旧」→「新」, codes by their names.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => "无".to_string(),
        Value::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => VALUE_WORDS.iter().find(|(k, _)| k == s).map_or_else(|| s.clone(), |(_, w)| w.to_string()),
        Value::Array(a) if a.len() == 2 => format!("{} → {}", plain(&a[0]), plain(&a[1])),
        Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join("、"),
        Value::Object(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_words() {
        let w = Words { users: HashMap::new(), departments: [(4, "违章处理科".to_string())].into() };
        assert_eq!(
            w.detail(r#"{"department_id":4,"due":[null,1],"kind":"license","month":"2024-06"}"#),
            "部门：违章处理科；应报送数：无 → 1；类别：行政许可；月份：2024-06"
        );
        assert_eq!(w.detail(r#"{"review_required":true}"#), "发布前审核：是");
        assert_eq!(w.detail(r#"{"objection_id":6,"reason":null}"#), "异议编号：6", "nothing said of what is empty");
        assert_eq!(w.detail("{}"), "");
        assert_eq!(w.actor("subject:91441600MA4W000001", |_| Some("某公司".into())), "主体「某公司」本人");
        assert_eq!(w.actor("system", |_| None), "系统");
        assert_eq!(event_label("record.created"), "创建记录");
    }

    /// Every event type written has a Chinese name: the store backends
    /// write them all (the sources are read, so a new type cannot be
    /// missed), and pages and the command line add theirs through
    /// `append_event`.
    #[test]
    fn every_event_type_written_has_a_name() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = Vec::new();
        let mut stack: Vec<_> =
            ["xinjiao-store-sqlite/src", "xinjiao-store-postgres/src", "xinjiao-web/src", "xinjiao/src"]
                .iter()
                .map(|d| crates.join(d))
                .collect();
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let backend = path.to_string_lossy().contains("xinjiao-store-");
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().filter(|l| backend || l.contains("append_event(")) {
                    for literal in line.split('"').skip(1).step_by(2) {
                        let Some((head, tail)) = literal.split_once('.') else { continue };
                        if word(head) && word(tail) && !["sql", "rs", "toml"].contains(&tail) {
                            seen += 1;
                            if event_label(literal) == "其他操作" {
                                missing.push(format!("{}: {literal}", path.display()));
                            }
                        }
                    }
                }
            }
        }
        assert!(seen >= EVENT_LABELS.len(), "the scan finds the event types ({seen})");
        assert!(missing.is_empty(), "event types without a Chinese name: {missing:?}");
    }
}
