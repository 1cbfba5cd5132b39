//! Diagnostics: one broken rule in one field, with a stable machine code for
//! the API and a Chinese message for people.

/// A broken validation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The standard's field code (`CF_XDR_SHXYM`), or `""` for a whole-row problem.
    pub field: &'static str,
    /// Stable machine code (`uscc.check_digit`). Listed in [`CODES`].
    pub code: &'static str,
    /// Chinese message naming the field and the rule.
    pub message: String,
}

impl Diagnostic {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { field, code, message: message.into() }
    }
}

/// Every machine code a record diagnostic can carry, with its meaning. The API
/// documentation is generated from this table; a test checks the parser emits
/// no code missing here.
pub const CODES: &[(&str, &str)] = &[
    ("field.required", "必填字段为空"),
    ("field.too_long", "超过字段最大长度"),
    ("field.not_allowed", "该主体类别不应填写此字段"),
    ("enum.invalid", "取值不在标准枚举范围内"),
    ("uscc.format", "统一社会信用代码格式错误（应为18位，不含 I、O、Z、S、V）"),
    ("uscc.check_digit", "统一社会信用代码校验位错误"),
    ("uscc.category", "统一社会信用代码的登记管理部门或机构类别代码无效"),
    ("uscc.org_code", "统一社会信用代码中的组织机构代码校验失败"),
    ("uscc.kind_mismatch", "统一社会信用代码与行政相对人类别不符"),
    ("org_code.format", "组织机构代码格式错误"),
    ("org_code.check_digit", "组织机构代码校验位错误"),
    ("org_code.mismatch", "组织机构代码与统一社会信用代码第9至17位不一致"),
    ("id_card.format", "身份证号码格式错误"),
    ("id_card.birth_date", "身份证号码中的出生日期无效"),
    ("id_card.check_digit", "身份证号码校验位错误"),
    ("date.format", "日期格式无法识别"),
    ("date.future", "日期晚于今天"),
    ("subject.unknown", "平台上没有该统一社会信用代码的主体（行业协会会员信用承诺）"),
    ("date.order", "日期先后顺序错误"),
    ("amount.format", "金额格式错误（单位万元，最多6位小数）"),
    ("amount.required", "处罚类别要求填写金额且大于0"),
    ("penalty.license_ref_required", "暂扣或吊销许可证件时须填写证照名称及编号"),
    ("license.decision_no_required", "行政许可决定文书号与许可编号不能同时为空"),
    ("value.control_chars", "字段含有控制字符（自由文本只允许制表符和换行）"),
    ("subject.code", "主体代码既不是有效的统一社会信用代码，也不是有效的身份证号码（信用事件）"),
    ("subject.kind_mismatch", "主体代码的种类与评价体系的评价对象不符（信用事件）"),
    ("scheme.unknown", "评价体系不存在（信用事件）"),
    ("item.unknown", "事项代码不在评价体系当时施行版本的事项目录中（信用事件）"),
    ("certificate.format", "执法证号只能由文字、字母、数字和连字符组成（执法检查人员名录）"),
    ("department.unknown", "部门编码不是本平台的部门（执法检查人员名录）"),
    ("status.unknown", "状态不是可用的值（执法检查人员名录）"),
    ("points.required", "该事项的分值须填写（信用事件）"),
    ("points.range", "分值超出该事项的范围或多于一位小数（信用事件）"),
    ("points.not_allowed", "该事项分值固定，分值应留空（信用事件）"),
    ("plate.format", "车牌号码格式错误（货运车辆档案、超限检测记录）"),
    ("vehicle.type", "车辆类型应为“货车”或“汽车列车”（货运车辆档案、超限检测记录）"),
    ("axles.range", "轴数、单胎轴数或驱动轴数超出范围（货运车辆档案、超限检测记录）"),
    ("mass.range", "车货总质量应为 1000 到 200000 千克之间的整数（超限检测记录）"),
    ("limit.none", "该车辆类型和轴数没有车货总质量限值（超限检测记录）"),
    ("personal.in_text", "提醒（不拒绝）：字段中有疑似身份证号码、手机号码或银行卡号，公开时自动遮蔽"),
];

/// Chinese meaning of a machine code, for the diagnostics legend.
pub fn describe(code: &str) -> Option<&'static str> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, d)| *d)
}
