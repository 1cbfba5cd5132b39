//! The rule book: every rule file the platform runs on, named by what it is
//! (异议处理时限规则, not `rules/objections.toml`), with its legal source,
//! version and full text, public at `/rules` so that staff, subjects and
//! the public read the same deadlines the platform computes with.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;

use crate::kernel::auth::MaybeUser;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/rules", get(index)).route("/rules/{slug}", get(rule))
}

/// A rule file as people read it.
pub struct RuleFile {
    pub slug: String,
    pub title: String,
    /// What it decides, in one sentence.
    pub about: &'static str,
    pub text: &'static str,
}

impl RuleFile {
    /// The file's `source =` line (its legal basis), when it has one.
    pub fn source(&self) -> String {
        self.line("source")
    }
    pub fn version(&self) -> String {
        self.line("version")
    }
    fn line(&self, key: &str) -> String {
        self.text
            .lines()
            .filter_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_string())
            .collect::<Vec<_>>()
            .join("；")
    }
}

/// Every rule file, in the order the rule book lists them.
pub fn rule_files() -> Vec<RuleFile> {
    let mut out = vec![
        RuleFile {
            slug: "publication".into(),
            title: "双公示公示期限规则".into(),
            about: "行政许可、行政处罚决定和政策文件应在作出或印发后多少个工作日内公示。",
            text: xinjiao_core::reporting::publication::EMBEDDED,
        },
        RuleFile {
            slug: "disclosure".into(),
            title: "行政处罚信息公示期限与信用修复规则".into(),
            about: "各类行政处罚在门户网站公示多长时间，最早何时可以申请信用修复。",
            text: xinjiao_core::lifecycle::disclosure::EMBEDDED,
        },
        RuleFile {
            slug: "objections".into(),
            title: "异议处理时限规则".into(),
            about: "信用异议的受理、办结和延期期限（工作日）。",
            text: xinjiao_core::lifecycle::objections::EMBEDDED,
        },
        RuleFile {
            slug: "repair".into(),
            title: "信用修复办理时限规则".into(),
            about: "信用修复申请的受理和办结期限（工作日）。",
            text: xinjiao_core::lifecycle::repairs::EMBEDDED,
        },
        RuleFile {
            slug: "commitments".into(),
            title: "信用承诺规则".into(),
            about: "信用承诺的类型、哪些公示、补正和核查期限（工作日）、哪些主体不适用告知承诺，以及违背承诺记入何种信用事项。",
            text: xinjiao_core::commitments::EMBEDDED,
        },
        RuleFile {
            slug: "commitment-templates".into(),
            title: "信用承诺书模板".into(),
            about: "各类信用承诺书的文本及版本；已签署的承诺保留签署时的版本和全文。",
            text: xinjiao_core::commitments::templates::EMBEDDED,
        },
        RuleFile {
            slug: "commitment-matters".into(),
            title: "告知承诺事项清单与诚信教育材料".into(),
            about: "可以承诺代替材料或证明的办理事项、办理科室、可用的承诺类型、补正期限、违诺后果，以及办理前须阅读的诚信教育材料。",
            text: xinjiao_core::commitments::matters::EMBEDDED,
        },
        RuleFile {
            slug: "personal-data".into(),
            title: "个人信息遮蔽规则".into(),
            about: "公开页面和公开接口中哪些字段整体遮蔽，自由文本中的身份证号码、手机号码如何遮蔽。",
            text: xinjiao_core::records::personal::EMBEDDED,
        },
    ];
    out.push(RuleFile {
        slug: "inspection".into(),
        title: "双随机抽查比例与时限规则".into(),
        about: "各信用等级主体的年度抽查比例和频次、计划可调整的范围、每次检查的执法人员数、回避期和结果公开时限。",
        text: xinjiao_core::inspection::rules::EMBEDDED,
    });
    out.push(RuleFile {
        slug: "draws".into(),
        title: "双随机抽查的抽取规则".into(),
        about: "名录哈希、承诺值、种子和抽取顺序的精确定义：任何人可据公布的数据重算每一次抽取。",
        text: xinjiao_core::inspection::draw::SPECIFICATION,
    });
    out.push(RuleFile {
        slug: "warnings".into(),
        title: "信用风险预警规则".into(),
        about: "每日监测的预警规则（处罚频次、等级下降、许可到期、整改到期）、停机后补做的天数、提醒的到期范围和发件箱的重试间隔。",
        text: xinjiao_core::monitoring::rules::EMBEDDED,
    });
    out.push(RuleFile {
        slug: "vehicle-limits".into(),
        title: "货运车辆车货总质量限值".into(),
        about: "各类货车、汽车列车按轴数的车货总质量限值，单胎和单驱动轴的折减，超限率的算法。",
        text: xinjiao_core::lists::limits::EMBEDDED,
    });
    for (code, text) in xinjiao_core::lists::definition::EMBEDDED {
        let name = text.lines().find_map(|l| l.strip_prefix("name")?.trim_start().strip_prefix('=')).unwrap_or("");
        out.push(RuleFile {
            slug: format!("lists-{code}"),
            title: format!("{}（认定标准）", name.trim().trim_matches('"')),
            about: "名单的类别、认定标准（平台计算的和部门举证提出的）、公示期、展示期限、移出方式和法律依据。",
            text,
        });
    }
    out.push(RuleFile {
        slug: "measures".into(),
        title: "联合奖惩措施清单".into(),
        about: "每项激励或惩戒措施的法律依据、实施单位、由哪些名单和信用等级触发、在哪些核查场景中适用。",
        text: xinjiao_core::lists::measures::MEASURES,
    });
    out.push(RuleFile {
        slug: "scenarios".into(),
        title: "信用核查应用场景".into(),
        about: "政务服务、招投标、招录、评优、执法裁量和信易行、信易贷、信易修等场景，每个场景的核查结果可以包含哪些信息。",
        text: xinjiao_core::lists::measures::SCENARIOS,
    });
    for (code, text) in xinjiao_core::evaluation::scheme::EMBEDDED {
        let name = text.lines().find_map(|l| l.strip_prefix("name")?.trim_start().strip_prefix('=')).unwrap_or("");
        out.push(RuleFile {
            slug: format!("evaluation-{code}"),
            title: format!("{}（信用评价体系）", name.trim().trim_matches('"')),
            about: "评价对象、周期、基础分、评价事项及分值、等级划分和特殊规则。",
            text,
        });
    }
    for text in xinjiao_core::calendar::EMBEDDED {
        let year = text.lines().find_map(|l| l.strip_prefix("year")?.trim_start().strip_prefix('=')).unwrap_or("");
        out.push(RuleFile {
            slug: format!("calendar-{}", year.trim()),
            title: "工作日日历（国务院节假日安排）".into(),
            about: "一年中的法定节假日和调休上班日；所有“工作日”期限按此计算。",
            text,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    files: Vec<RuleFile>,
}

async fn index(State(st): State<AppState>, u: MaybeUser) -> Result<Html<String>, PageError> {
    let page = RulesPage { banner: st.banner(), user: u.0.map(|u| u.display_name), files: rule_files() };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "rule.html")]
struct RulePage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    file: RuleFile,
}

async fn rule(State(st): State<AppState>, u: MaybeUser, Path(slug): Path<String>) -> Result<Html<String>, PageError> {
    let file = rule_files().into_iter().find(|f| f.slug == slug).ok_or(PageError::NotFound)?;
    let page = RulePage { banner: st.banner(), user: u.0.map(|u| u.display_name), file };
    Ok(Html(page.render()?))
}
