//! The OpenAPI document of `/api/v1`, written by hand as one JSON value; a
//! test checks that it names exactly the routes and that each answers.

use axum::Json;
use serde_json::{Value, json};

/// The OpenAPI document, written by hand; a test checks it names every route.
pub fn openapi_document() -> Value {
    let err = json!({"$ref": "#/components/schemas/Error"});
    let draws_path = json!({"get": {
        "summary": "“双随机、一公开”抽查列表（最新在前）：事项、名录日期、名录与抽中数量、承诺值、事先写明的公开值来源、抽取时间",
        "responses": {"200": {"description": "抽查列表", "content": {"application/json": {"schema": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}}}}}
    }});
    let draw_path = json!({"get": {
        "summary": "一次抽查的全部公开数据，任何人可据此重算（规则见 docs/draws.md）：冻结的名录（主体代码、等级）及其 SHA-256、各等级比例、检查人员名单与回避、承诺值；抽取后另有公开值、揭示的秘密值、种子和抽中的主体及其检查人员",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "抽查", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Draw"}}}},
                      "404": {"description": "抽查不存在（not_found）", "content": {"application/json": {"schema": err}}}}
    }});
    let draw_schema = json!({"type": "object", "required": ["id", "population", "population_hash", "shares", "commitment", "public_value", "secret", "seed", "drawn"], "properties": {
                    "id": {"type": "integer"}, "as_of": {"type": "string", "format": "date"},
                    "matter": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "department": {"type": "string"},
                        "legal_basis": {"type": "string"}, "scheme": {"type": "string"}, "priority": {"type": "string", "enum": ["key", "general"]}}},
                    "population": {"type": "array", "items": {"type": "object", "properties": {"subject": {"type": "string"}, "grade": {"type": ["string", "null"]}}}},
                    "population_hash": {"type": "string", "description": "每个主体一行“代码\t等级\n”，按代码字节序排列后的 SHA-256（小写十六进制）"},
                    "shares": {"type": "object", "additionalProperties": {"type": "string"}, "description": "等级 → 年度抽查比例（百分数，至多两位小数；none 为无等级主体）"},
                    "overridden": {"type": "object", "additionalProperties": {"type": "string"}, "description": "计划改动了比例的等级 → 规则的默认比例"},
                    "inspectors_per_subject": {"type": "integer"},
                    "roster": {"type": "object", "properties": {"eligible": {"type": "array", "items": {"type": "string"}},
                        "excluded": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}},
                    "commitment": {"type": "string", "description": "SHA-256(秘密值)"},
                    "public_value_source": {"type": "string"}, "public_value": {"type": ["string", "null"]},
                    "secret": {"type": ["string", "null"], "description": "抽取前为 null"}, "seed": {"type": ["string", "null"]},
                    "run_at": {"type": ["string", "null"]},
                    "drawn": {"type": "array", "items": {"type": "object", "properties": {"subject": {"type": "string"}, "grade": {"type": ["string", "null"]},
                        "inspectors": {"type": "array", "items": {"type": "string"}}, "short": {"type": "boolean", "description": "符合条件的检查人员少于要求人数"}}}}}});
    let proof_path = json!({"get": {
        "summary": "记录在透明日志中的证明包（格式见 /log/format.md）：叶子序号、树大小、条目（Base64）、盐与内容（记录公示中的当前版本及撤销、修复事件给出，否则为 null）、包含证明、签名检查点；history 列出该记录的全部叶子",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                       {"name": "leaf", "in": "query", "description": "该记录的某个叶子序号（默认最新）", "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "证明包", "content": {"application/json": {"schema": {"type": "object",
            "required": ["format", "leaf_index", "tree_size", "entry", "salt", "content", "inclusion", "checkpoint"],
            "properties": {
                "format": {"type": "string", "const": "xinjiao-proof-bundle/1"},
                "record_id": {"type": "integer"}, "event": {"type": "string"}, "object": {"type": "string"}, "time": {"type": "string"},
                "leaf_index": {"type": "integer"}, "tree_size": {"type": "integer"},
                "entry": {"type": "string", "contentEncoding": "base64"},
                "salt": {"type": ["string", "null"], "contentEncoding": "base64"},
                "content": {"type": ["string", "null"]},
                "inclusion": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}},
                "checkpoint": {"type": "string"}, "verifier_key": {"type": "string"},
                "history": {"type": "array", "items": {"type": "object"}}}}}}},
                      "404": {"description": "记录未记入日志（proof.not_logged）", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
    }});
    let report_path = json!({"get": {
        "summary": "信用报告的核验信息（按报告编号，或按报告 PDF 文件的 SHA-256 十六进制）：文件 SHA-256、主体、版本、信息截至日、出具时间、数据版本、透明日志叶子序号、是否最新（按今天的数据重新生成各部分是否一致）、此后有变化的部分，以及该叶子的证明包",
        "parameters": [{"name": "number", "in": "path", "required": true, "description": "报告编号（XJ-YYYYMMDD-8位十六进制）或 PDF 的 SHA-256", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "报告", "content": {"application/json": {"schema": {"type": "object",
            "required": ["number", "sha256", "subject", "issued_at", "leaf_index", "latest", "changed", "proof"],
            "properties": {
                "number": {"type": "string"}, "sha256": {"type": "string", "description": "PDF 文件的 SHA-256（十六进制）"},
                "subject": {"type": "string", "description": "主体编号（统一社会信用代码或 P 编号）"}, "subject_name": {"type": "string"},
                "edition": {"type": "string", "enum": ["public", "full"]}, "as_of": {"type": "string", "format": "date"},
                "issued_at": {"type": "string", "format": "date-time"}, "data_version": {"type": "integer", "description": "出具时透明日志的条目数"},
                "leaf_index": {"type": "integer"}, "pages": {"type": "integer"}, "bytes": {"type": "integer"},
                "latest": {"type": "boolean"},
                "changed": {"type": "array", "items": {"type": "object", "properties": {"section": {"type": "string"}, "rows_then": {"type": "integer"}, "rows_now": {"type": "integer"}}}},
                "proof": {"type": "object", "description": "report.issued 叶子的证明包（格式同 /api/v1/records/{id}/proof）"}}}}}},
                      "404": {"description": "没有该报告（report.not_found）", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
    }});
    let issue_report_path = json!({"post": {
        "summary": "出具主体的公开版信用报告（PDF）：截至某日公示的信用评价、信用名单、联合奖惩措施、行政处罚和行政许可；报告编号在响应头 X-Xinjiao-Report-Number，文件的 SHA-256 记入透明日志。内容未变时再次请求返回同一份报告",
        "parameters": [{"name": "key", "in": "path", "required": true, "schema": {"type": "string"}},
                       {"name": "as_of", "in": "query", "description": "信息截至日（默认今天，不晚于今天）", "schema": {"type": "string", "format": "date"}}],
        "responses": {"200": {"description": "报告 PDF", "content": {"application/pdf": {}}},
                      "404": {"description": "没有该主体（report.subject_not_found）", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                      "422": {"description": "report.bad_as_of、report.future_day", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
    }});
    let credit_check_path = json!({"post": {
        "summary": "信用核查：按场景（rules/scenarios.toml）返回主体适用的联合奖惩措施及理由、场景可见的名单和信用等级，附平台 Ed25519 签名的回执（C2SP signed note，文本首行 xinjiao/credit-check/v1，次行为本应答的 JSON），可用 xinjiao verify receipt 离线验证；每次核查记入审计日志。合作方令牌只能用于其场景；核查自然人须填写 purpose，结果遮蔽身份证号码",
        "security": [{"bearer": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["subject", "scenario"], "properties": {
            "subject": {"type": "string", "maxLength": 64, "description": "统一社会信用代码、身份证号码、主体编号（P…）或车牌号码"},
            "scenario": {"type": "string", "enum": ["government-service", "bidding", "civil-servant-hiring", "honours", "enforcement", "xinyixing", "xinyidai", "xinyixiu"]},
            "purpose": {"type": "string", "maxLength": 200, "description": "核查用途；核查自然人时必填"}}}}}},
        "responses": {
            "200": {"description": "核查结果", "content": {"application/json": {"schema": {"type": "object", "required": ["subject", "scenario", "measures", "receipt"], "properties": {
                "subject": {"type": "string"}, "subject_name": {"type": "string"}, "subject_type": {"type": "string", "enum": ["enterprise", "person", "driver", "vehicle"]},
                "scenario": {"type": "string"}, "checked_at": {"type": "string"}, "as_of": {"type": "string", "format": "date"}, "data_version": {"type": "integer"},
                "measures": {"type": "array", "items": {"type": "object", "required": ["code", "kind", "basis", "reason"], "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": ["reward", "punishment"]},
                    "basis": {"type": "string"}, "applied_by": {"type": "string"}, "reason": {"type": "string"}}}},
                "lists": {"type": "array", "items": {"type": "object"}, "description": "场景可见名单时：生效中的名单条目"},
                "grades": {"type": "array", "items": {"type": "object"}, "description": "场景可见信用等级时：各评价体系的最新定级"},
                "penalties_public": {"type": "integer", "description": "场景可见处罚时：公示中的行政处罚条数"},
                "receipt": {"type": "string", "description": "C2SP signed note"}, "verifier_key": {"type": "string", "description": "C2SP note verifier key（亦见 /log/key）"}}}}}},
            "400": {"description": "subject.invalid、scenario.unknown、purpose.required、body.invalid", "content": {"application/json": {"schema": err}}},
            "401": {"description": "需要令牌", "content": {"application/json": {"schema": err}}},
            "403": {"description": "scenario.not_allowed（合作方令牌不含该场景）、subject.kind_not_allowed（场景不核查此类主体）", "content": {"application/json": {"schema": err}}}}
    }});
    let page_param = json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}});
    let per_page =
        json!({"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}});
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "信交 Xinjiao API",
            "version": "1",
            "description": "交通运输信用信息平台接口。公开接口无需认证；写入接口需要 Authorization: Bearer <token>（由 `xinjiao user token` 生成）。个人证件号码在所有公开响应中均已脱敏。"
        },
        "paths": {
            "/api/v1/subjects": {"get": {
                "summary": "按名称片段（至少1个字）或统一社会信用代码查询主体",
                "parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string"}}, page_param, per_page],
                "responses": {"200": {"description": "主体分页列表", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubjectPage"}}}},
                              "400": {"description": "缺少 q（missing_query）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/subjects/{key}": {"get": {
                "summary": "主体信用档案：基本信息、行政许可和行政处罚（各最多100条，按决定日期倒序；全部记录用 /api/v1/records?subject=）",
                "parameters": [{"name": "key", "in": "path", "required": true, "description": "统一社会信用代码，或自然人主体的 P 编号", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "主体档案", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SubjectDetail"}}}},
                              "404": {"description": "主体不存在（not_found）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/imports/credit-events": {"post": {
                "summary": "导入信用事件文件（CSV：UTF-8/GBK；XLSX；列：主体代码、主体名称、评价体系、事项代码、分值、发生日期、依据），请求体为文件内容；仅信用工作协调员或管理员的令牌可用",
                "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}, {"name": "filename", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "全部行通过", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportReport"}}}},
                              "422": {"description": "有被拒绝的行（报告中列出行、字段和规则），或文件无法读取（file.*）", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportReport"}}}},
                              "403": {"description": "令牌的账号无权导入（forbidden）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/credit-checks": credit_check_path,
            "/api/v1/records/{id}/proof": proof_path,
            "/api/v1/reports/{number}": report_path,
            "/api/v1/log/consistency": {"get": {
                "summary": "透明日志的一致性证明（RFC 9162）：规模为 to 的树（默认最新检查点）是规模为 from 的树的延伸；附两个规模的签名检查点（如有）。瓦片见 /log/tile/",
                "parameters": [{"name": "from", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 0}},
                               {"name": "to", "in": "query", "schema": {"type": "integer", "minimum": 0}}],
                "responses": {"200": {"description": "证明", "content": {"application/json": {"schema": {"type": "object", "required": ["from", "to", "proof"], "properties": {
                    "from": {"type": "integer"}, "to": {"type": "integer"},
                    "proof": {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}},
                    "from_checkpoint": {"type": ["string", "null"]}, "to_checkpoint": {"type": ["string", "null"]}}}}}},
                              "422": {"description": "log.bad_range", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
            }},
            "/api/v1/subjects/{key}/reports": issue_report_path,
            "/api/v1/draws": draws_path,
            "/api/v1/lists": {"get": {
                "summary": "信用名单（rules/lists/）：代码、名称、类别（serious_dishonesty、key_attention、red）、是否本局自定标准、依据、公示工作日、展示月数、当日公示中和已列入的条目数",
                "responses": {"200": {"description": "名单", "content": {"application/json": {"schema": {"type": "object", "properties": {"as_of": {"type": "string", "format": "date"}, "items": {"type": "array", "items": {"type": "object"}}}}}}}}
            }},
            "/api/v1/lists/{code}/entries": {"get": {
                "summary": "名单当日公开的条目：公示中（notices）、已列入（listed）、移出公告期内的移出（exits）；个人的身份证号码遮蔽",
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "条目", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "list": {"type": "string"}, "as_of": {"type": "string", "format": "date"},
                    "notices": {"type": "array", "items": {"$ref": "#/components/schemas/ListEntry"}},
                    "listed": {"type": "array", "items": {"$ref": "#/components/schemas/ListEntry"}},
                    "exits": {"type": "array", "items": {"$ref": "#/components/schemas/ListEntry"}}}}}}},
                              "404": {"description": "名单不存在（not_found）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/draws/{id}": draw_path,
            "/api/v1/subjects/{key}/evaluations": {"get": {
                "summary": "主体的信用评价：各评价体系、各周期最近一次评价的等级、得分、状态（初评公示 preliminary 或正式 final）、有效期和扣分事项（个人的评价结果仅在评价体系规定公开时列出）",
                "parameters": [{"name": "key", "in": "path", "required": true, "description": "统一社会信用代码，或自然人主体的 P 编号", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "评价结果", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Evaluations"}}}},
                              "404": {"description": "主体不存在（not_found）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/records": {"get": {
                "summary": "双公示记录列表（按决定日期倒序）",
                "parameters": [
                    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["license", "penalty"]}},
                    {"name": "from", "in": "query", "description": "决定日期起（含）", "schema": {"type": "string", "format": "date"}},
                    {"name": "to", "in": "query", "description": "决定日期止（含）", "schema": {"type": "string", "format": "date"}},
                    {"name": "authority", "in": "query", "description": "决定机关统一社会信用代码", "schema": {"type": "string"}},
                    {"name": "subject", "in": "query", "description": "主体 key", "schema": {"type": "string"}},
                    page_param, per_page],
                "responses": {"200": {"description": "记录分页列表", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordPage"}}}},
                              "400": {"description": "参数错误（invalid_kind, invalid_date）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/records/{id}": {"get": {
                "summary": "记录详情（当前版本，按数据标准字段代码）",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "记录", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecordDetail"}}}},
                              "404": {"description": "记录不存在（not_found）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/imports/{kind}": {"post": {
                "summary": "导入文件（CSV：UTF-8/GBK；XLSX），请求体为文件内容",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "kind", "in": "path", "required": true, "schema": {"type": "string", "enum": ["penalties", "licenses"]}},
                    {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "encoding", "in": "query", "schema": {"type": "string", "enum": ["utf-8", "gbk", "gb18030"]}},
                    {"name": "sheet", "in": "query", "schema": {"type": "string"}},
                    {"name": "filename", "in": "query", "description": "原文件名（以 .xlsx 结尾按 XLSX 读取）", "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "200": {"description": "全部行已接受或未变化", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportReport"}}}},
                    "422": {"description": "有被拒绝的行（报告中列出），或文件无法读取（file.* 错误码，未存储任何数据）", "content": {"application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/ImportReport"}, err]}}}},
                    "401": {"description": "未认证（unauthorized）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/rates": {"get": {
                "summary": "填报率、合格率、及时率：按部门或县区，按月、季度或年度（工作人员令牌）",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "period", "in": "query", "schema": {"type": "string", "enum": ["month", "quarter", "year"]}},
                    {"name": "at", "in": "query", "description": "统计期，如 2026-10、2026-Q4、2026；缺省为本月", "schema": {"type": "string"}},
                    {"name": "by", "in": "query", "schema": {"type": "string", "enum": ["department", "division"]}}],
                "responses": {
                    "200": {"description": "各部门（县区）的三率及其分子分母", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Rates"}}}},
                    "400": {"description": "参数无效（invalid_period、invalid_by）", "content": {"application/json": {"schema": err}}},
                    "401": {"description": "未认证（unauthorized）", "content": {"application/json": {"schema": err}}}}
            }},
            "/api/v1/diagnostic-codes": {"get": {
                "summary": "校验错误码及其含义",
                "responses": {"200": {"description": "错误码列表"}}
            }},
            "/api/v1/openapi.json": {"get": {"summary": "本文档", "responses": {"200": {"description": "OpenAPI 3.1 文档"}}}}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "ListEntry": {"type": "object", "required": ["id", "party_type", "party", "party_name", "criterion", "reason"], "properties": {
                    "id": {"type": "integer"}, "party_type": {"type": "string", "enum": ["vehicle", "driver", "enterprise", "person"]},
                    "party": {"type": "string", "description": "车牌号码、统一社会信用代码，或遮蔽的身份证号码"}, "party_name": {"type": "string"},
                    "subject": {"type": ["string", "null"], "description": "主体编号（车辆为其所属企业）"},
                    "criterion": {"type": "integer"}, "criterion_text": {"type": "string"}, "reason": {"type": "string"},
                    "notice_from": {"type": ["string", "null"]}, "notice_until": {"type": ["string", "null"]},
                    "listed_on": {"type": ["string", "null"]}, "shown_until": {"type": ["string", "null"]},
                    "exited_on": {"type": ["string", "null"]}, "exit": {"type": ["string", "null"]}, "department": {"type": "string"}}},
                "Evaluations": {"type": "object", "required": ["subject", "evaluations"], "properties": {
                    "subject": {"type": "string"},
                    "evaluations": {"type": "array", "items": {"type": "object", "properties": {
                        "scheme": {"type": "string"}, "scheme_name": {"type": "string"}, "cycle": {"type": "integer"},
                        "grade": {"type": "string"}, "grade_label": {"type": "string"}, "score": {"type": "number"},
                        "status": {"type": "string", "enum": ["preliminary", "final", "dynamic"], "description": "dynamic：严重失信行为即时生效的动态评价（下次评价批次前）"},
                        "final_from": {"type": "string", "format": "date"}, "valid_until": {"type": "string", "format": "date"},
                        "lowered_by": {"type": "array", "items": {"type": "object", "properties": {
                            "item": {"type": "string"}, "name": {"type": "string"}, "points": {"type": "number"},
                            "source": {"type": "string"}, "date": {"type": "string", "format": "date"}}}},
                        "rules": {"type": "array", "items": {"type": "string"}}}}}}},
                "Draw": draw_schema,
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "description": "稳定的机器错误码"}, "message": {"type": "string", "description": "中文说明"}}}}},
                "Subject": {"type": "object", "properties": {
                    "key": {"type": "string"}, "kind": {"type": "string", "enum": ["organization", "natural_person", "individual_business"]},
                    "kind_label": {"type": "string"}, "name": {"type": "string"}, "uscc": {"type": ["string", "null"]},
                    "id_doc_no_masked": {"type": ["string", "null"], "description": "脱敏证件号码，如 4405**********0014"},
                    "legal_rep": {"type": ["string", "null"]}, "n_licenses": {"type": "integer"}, "n_penalties": {"type": "integer"}}},
                "SubjectPage": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Subject"}},
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
                "SubjectDetail": {"allOf": [{"$ref": "#/components/schemas/Subject"}, {"type": "object", "properties": {
                    "licenses": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                    "penalties": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}]},
                "Record": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["license", "penalty"]}, "kind_label": {"type": "string"},
                    "subject_key": {"type": "string"}, "subject_name": {"type": "string"}, "authority_code": {"type": "string"},
                    "authority_name": {"type": "string"}, "decision_no": {"type": "string"}, "decision_date": {"type": "string", "format": "date"},
                    "summary": {"type": "string"}, "version": {"type": "integer"}}},
                "RecordPage": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}}},
                "RecordDetail": {"allOf": [{"$ref": "#/components/schemas/Record"}, {"type": "object", "properties": {
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}, "description": "字段代码（如 CF_WSH）到值；个人证件号码已脱敏"},
                    "objection_open": {"type": "boolean", "description": "异议处理中"}}}]},
                "Rate": {"type": "object", "properties": {"numerator": {"type": "integer"}, "denominator": {"type": "integer"},
                    "per_mille": {"type": ["integer", "null"], "description": "千分比，向下取整；0÷0 为 null"}, "display": {"type": "string"},
                    "meets_target": {"type": "boolean"}}},
                "RateCounts": {"type": "object", "properties": {
                    "fill": {"$ref": "#/components/schemas/Rate"}, "pass": {"$ref": "#/components/schemas/Rate"}, "timeliness": {"$ref": "#/components/schemas/Rate"},
                    "due": {"type": "integer"}, "reported": {"type": "integer"}, "undeclared": {"type": "integer"},
                    "rows_submitted": {"type": "integer"}, "rows_passed": {"type": "integer"},
                    "published": {"type": "integer"}, "published_on_time": {"type": "integer"}}},
                "Rates": {"type": "object", "properties": {
                    "period": {"type": "object"}, "by": {"type": "string"}, "definitions": {"type": "object"},
                    "rows": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "name": {"type": "string"},
                        "division": {"type": "string"}, "rates": {"$ref": "#/components/schemas/RateCounts"}}}},
                    "total": {"$ref": "#/components/schemas/RateCounts"}}},
                "ImportReport": {"type": "object", "required": ["rows", "accepted", "unchanged", "rejected", "diagnostics"], "properties": {
                    "rows": {"type": "integer"}, "accepted": {"type": "integer"}, "unchanged": {"type": "integer"}, "rejected": {"type": "integer"},
                    "awaiting_review": {"type": "integer", "description": "已接受的行中，对已公示记录的修改、待审核后生效的行数（为 0 时省略）"},
                    "diagnostics_omitted": {"type": "integer", "description": "超出上限未列出的错误数（为 0 时省略）"},
                    "warnings": {"type": "array", "description": "不导致拒绝的提醒（如自由文本中的个人信息），结构同 diagnostics"},
                    "warnings_omitted": {"type": "integer", "description": "超出上限未列出的提醒数（为 0 时省略）"},
                    "diagnostics": {"type": "array", "items": {"type": "object", "properties": {
                        "row": {"type": "integer", "description": "表格行号（表头为1）"}, "field": {"type": "string", "description": "数据标准字段代码"},
                        "code": {"type": "string"}, "message": {"type": "string"}}}}}}
            }
        }
    });
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.extend(commitment_paths(&err));
    }
    doc
}

/// The commitments' routes (issue 17).
fn commitment_paths(err: &Value) -> serde_json::Map<String, Value> {
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let refusal = |codes: &str| json!({"description": codes, "content": {"application/json": {"schema": err}}});
    let commitment = json!({"type": "object", "description": "信用承诺：id、subject、subject_name、kind、kind_name、matter、matter_name、state（signed、withdrawn、void、in_force、kept、kept_late、not_kept、false）、state_name、signed_on、signed_via、template_version、decided_on、due、overdue、concluded_on、text（公开响应中仅公开类承诺有全文，个人号码遮蔽）、note（仅主体本人和工作人员可见）"});
    let ok = |what: &str| json!({"description": what, "content": {"application/json": {"schema": commitment}}});
    let json_body = |props: Value, required: Value| json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": props}}}});
    let paths = json!({
        "/api/v1/commitments": {"get": {
            "summary": "公示的信用承诺：主动公示型、行业自律型承诺，以及各类承诺经核查认定的履行结果（个人号码遮蔽；非公开类承诺不含全文）",
            "parameters": [{"name": "subject", "in": "query", "description": "只列该主体的（主体 key）", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "承诺", "content": {"application/json": {"schema": {"type": "object", "properties": {"as_of": {"type": "string", "format": "date"}, "items": {"type": "array", "items": commitment}}}}}},
                          "404": refusal("主体不存在（not_found）")}
        }},
        "/api/v1/commitments/{id}/decision": {"post": {
            "summary": "承诺随事项办结（工作人员，事项所属科室或协调员）：准予则承诺生效并按事项的工作日计算履行期限，不予则承诺不生效",
            "parameters": [id],
            "requestBody": json_body(json!({"granted": {"type": "boolean"}, "on": {"type": "string", "format": "date", "description": "办结日期，缺省为今天"}, "reason": {"type": "string"}}), json!(["granted", "reason"])),
            "responses": {"200": ok("办结后的承诺"), "401": refusal("unauthorized"), "403": refusal("commitment.forbidden"),
                          "409": refusal("commitment.state"), "422": refusal("commitment.day、commitment.reason、body.invalid")}
        }},
        "/api/v1/commitments/{id}/verification": {"post": {
            "summary": "记录核查结论（工作人员）：kept（期限后补齐的记为逾期履行 kept_late）、not_kept（期限届满后）、false；未履行和不实的记入信用记录并计入信用评价",
            "parameters": [id],
            "requestBody": json_body(json!({"finding": {"type": "string", "enum": ["kept", "not_kept", "false"]}, "on": {"type": "string", "format": "date", "description": "认定日期，缺省为今天"}, "reason": {"type": "string"}}), json!(["finding", "reason"])),
            "responses": {"200": ok("认定后的承诺"), "401": refusal("unauthorized"), "403": refusal("commitment.forbidden"),
                          "409": refusal("commitment.state"), "422": refusal("commitment.day、commitment.reason、commitment.finding")}
        }},
        "/api/v1/commitments/{id}/licence": {"post": {
            "summary": "关联以承诺取得的许可（工作人员）：按许可决定书文号在该主体的行政许可记录中查找；每份承诺关联一次",
            "parameters": [id],
            "requestBody": json_body(json!({"decision_no": {"type": "string"}}), json!(["decision_no"])),
            "responses": {"200": {"description": "commitment、licence_record_id"}, "401": refusal("unauthorized"), "403": refusal("commitment.forbidden"),
                          "409": refusal("commitment.state"), "422": refusal("commitment.licence")}
        }},
        "/api/v1/commitments/{id}/licence-revocation": {"post": {
            "summary": "撤销未履行或不实的承诺所取得的许可（工作人员）：更正该许可记录的当前状态为“无效”，更正理由写明承诺与撤销决定；部门须审核的，state 为 pending",
            "parameters": [id],
            "requestBody": json_body(json!({"reason": {"type": "string"}}), json!(["reason"])),
            "responses": {"200": {"description": "commitment、licence_record_id、state（corrected 或 pending）"}, "401": refusal("unauthorized"), "403": refusal("commitment.forbidden"),
                          "409": refusal("commitment.state"), "422": refusal("commitment.licence、commitment.reason")}
        }},
        "/api/v1/account/commitments": {
            "get": {"summary": "主体本人的信用承诺（含全文、期限、核查说明）和已确认的诚信教育材料（主体账户登录）",
                    "responses": {"200": {"description": "承诺与诚信教育"}, "401": refusal("unauthorized")}},
            "post": {"summary": "主体本人签署信用承诺：承诺书按现行模板为该主体生成；列入严重失信名单、有未修复的违诺或未完成须先完成的诚信教育的，拒绝并说明原因",
                     "requestBody": json_body(json!({"kind": {"type": "string"}, "matter": {"type": "string"}, "agree": {"type": "boolean"}}), json!(["kind", "agree"])),
                     "responses": {"201": ok("签署的承诺"), "401": refusal("unauthorized"), "422": refusal("commitment.refused、commitment.not_agreed")}}
        },
        "/api/v1/account/commitments/{id}/withdrawal": {"post": {
            "summary": "主体撤回本人的承诺（事项办结前；主动公示型随时）",
            "parameters": [id],
            "responses": {"200": ok("撤回后的承诺"), "401": refusal("unauthorized"), "403": refusal("commitment.forbidden"), "409": refusal("commitment.state")}
        }},
        "/api/v1/account/education/{code}": {"post": {
            "summary": "主体确认已阅读诚信教育材料的现行版本（每个版本记录一次）",
            "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "material、version、new（是否首次确认）"}, "401": refusal("unauthorized"), "404": refusal("not_found")}
        }},
    });
    match paths {
        Value::Object(m) => m,
        _ => unreachable!("an object"),
    }
}

pub async fn openapi() -> Json<Value> {
    Json(openapi_document())
}
