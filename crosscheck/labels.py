"""Chinese names of crosscheck's sources, as the dashboard and reports show them."""

from __future__ import annotations

# the external registries pulled each night (older than a day: the dashboard warns)
REGISTRIES = {
    "household_registration": "户籍登记",
    "student_status": "学籍",
    "pension_contributions": "养老保险参保缴费",
    "business_licences": "营业执照",
    "training_records": "外地培训记录",
    "dishonesty_list": "失信名单",
    "provincial_training_system": "省职业培训信息管理系统",
}
# the bureau's own directory and operational data (exports replaced whole)
OPERATIONS = {
    "institutions": "培训机构目录",
    "institution_majors": "核准专业",
    "venues": "培训场地",
    "online_platforms": "线上培训平台",
    "published_projects": "公开发布的培训项目",
    "classes": "开班备案",
    "roster_entries": "学员花名册",
    "attendance": "考勤",
    "attendance_checks": "到课抽查",
    "completion_acceptance": "结课验收",
    "exam_results": "考核评价",
    "dropouts": "中途退出",
    "materials_review": "材料审核",
    "violations": "违纪违规",
    "certification_subsidies": "鉴定补贴",
    "notices": "公示",
    "notice_objections": "公示异议",
    "payments": "补贴拨付",
}
SOURCES = {**REGISTRIES, **OPERATIONS}
RUN_KINDS = {
    "nightly": "夜间核查",
    "ingest-http": "登记库拉取",
    "ingest-files": "文件导入",
    "retention": "到期清理",
    "opening": "开班核查",
    "payout": "补贴核算复核",
    "check": "全部核查",
    "demo": "演示",
    "report": "报告",
}
RUN_STATUS = {
    "running": "运行中",
    "succeeded": "成功",
    "partial": "部分完成",
    "failed": "失败",
}


def source(name: str) -> str:
    return SOURCES.get(name, name)
