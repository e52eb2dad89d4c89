"""From a case's facts to warehouse rows.

Every case starts from a *clean* class of its policy and states what differs.
The clean class (:data:`CLEAN`) breaks no rule of POLICY.md: its institution is
in the directory since 2020 with the major approved (fixed months, required
hours, rate, certificate), trained at its own venue verified in 2020; filed 10
working days ahead and approved 3 working days later; 6 class-hours on every
working day; acceptance applied for 15 working days before the end and given;
every trainee passes with the major's certificate, with full attendance and
every kind of evidence the policies ask for, is recorded in the provincial
system; the 公示 starts 20 days after the end, and payment follows 2 working
days after it ran 5 working days, into the basic account.

The clean trainee holds a valid ID number of the class's region, a Liaoning
household registration, one full-time 本科 record at a Liaoning school that
graduated (1 year before a Fushun opening; 2021-06-30 for Shenyang), and no
contribution, licence, enrolment or listing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from crosscheck import idnumber, policy
from crosscheck.casebook import model
from crosscheck.workdays import Calendar, calendar
from crosscheck.world.plan import add_months

D = dt.date
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Clean:
    region: str
    major: str
    level: str | None
    months: int
    required_hours: int
    rate_yuan: int
    certificate: str
    category: str | None = None


CLEAN = {
    "shenyang-2022": Clean("210102", "大数据开发", None, 4, 400, 2000, "skill_level"),
    "fushun-2023": Clean("210402", "数控车工", "中级", 4, 400, 2000, "skill_level"),
    "zhengning-2022": Clean(
        "621025", "养老护理员", None, 2, 120, 0, "training_certificate", category="A"
    ),
    "sichuan-2025": Clean("510104", "电工", None, 2, 160, 1000, "special_ability"),
}
SCHOOLS = {
    "liaoning": ("S2103", "沈阳工业大学", "21"),
    "jilin": ("S2201", "吉林大学", "22"),
    "hebei": ("S1301", "河北工业大学", "13"),
}
INSTITUTION_SCHOOL = "S2199"
PLATFORMS = {
    "listed": ("辽宁职业技能在线平台一", D(2023, 1, 1), None, False),
    "unlisted": ("某未入围在线学习平台", None, None, False),
    "removed": ("某违规在线平台", D(2023, 1, 1), D(2024, 6, 30), True),
}
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴婷"]
PERSON_KEYED = {
    "household_registration",
    "student_status",
    "pension_contributions",
    "business_licences",
    "training_records",
    "dishonesty_list",
    "provincial_training_system",
}
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _month(text: str) -> D:
    return D(int(text[:4]), int(text[5:7]), 1)


def id_form(number: str, form: model.IdForm) -> str:
    """How a record writes the person's number (see :data:`model.IdForm`)."""
    if form == "same":
        return number
    if form == "lower":
        if not number.endswith("X"):
            raise ValueError(f"id form 'lower' needs a number ending in X, not {number}")
        return number.lower()
    if form == "fullwidth":
        return number.translate(_FULL)
    if form == "spaced":
        return number[:6] + " " + number[6:14] + "\t" + number[14:17] + "\u3000" + number[17]
    if form == "swap":
        if number[15] == number[16]:
            raise ValueError(f"id form 'swap' needs digits 16 and 17 to differ: {number}")
        return number[:15] + number[16] + number[15] + number[17]
    if form == "digit":
        return number[:15] + str((int(number[15]) + 1) % 10) + number[16:]
    if form == "check":
        chars = "0123456789X"
        return number[:17] + chars[(chars.index(number[17]) + 1) % 11]
    if form == "other":
        seq = (int(number[14:17]) + 222) % 1000
        first17 = number[:14] + f"{seq:03d}"
        return first17 + idnumber.check_digit(first17)
    if form == "excel":
        return number[:15] + "000"
    return form


def make_id(region: str, birth: D, index: int, ends_in_x: bool = False) -> str:
    """A valid number whose sequence digits differ from each other (so that a
    swap is a typo) and, if asked, whose check character is X."""
    for seq in range(100 + 37 * index, 1000):
        s = f"{seq:03d}"
        if len(set(s)) < 3:
            continue
        first17 = f"{region}{birth:%Y%m%d}{s}"
        check = idnumber.check_digit(first17)
        if (check == "X") == ends_in_x:
            return first17 + check
    raise ValueError(f"no sequence number left for {region} {birth}")


@dataclass
class Person:
    label: str
    spec: model.Trainee
    number: str
    name: str


@dataclass
class Built:
    """The rows of every table, and how to read the findings back."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    class_labels: dict[str, str] = field(default_factory=dict)  # class_id -> label
    person_labels: dict[str, str] = field(default_factory=dict)  # normalised ID -> label
    as_of: D = field(default_factory=lambda: D(2025, 12, 31))

    def add(self, table: str, **row: Any) -> None:
        if table in PERSON_KEYED and row.get("id_number") is not None:
            # stored as the loader stores it: normalised, the raw text kept when it
            # differed, the block (region + birth date) beside it
            raw = row["id_number"]
            row["id_number"] = idnumber.stored(raw)
            row["id_number_raw"] = raw if raw != row["id_number"] else None
            if table != "provincial_training_system":
                row["id_block"] = row["id_number"][:14]
        self.rows.setdefault(table, []).append(row)


class _ClassBuild:
    def __init__(
        self, out: Built, case: model.Case, facts: model.ClassFacts, class_id: str, inst: str
    ) -> None:
        self.out, self.case, self.f, self.class_id, self.inst = out, case, facts, class_id, inst
        self.policy = policy.get(facts.policy)
        self.clean = CLEAN[facts.policy]
        self.cal: Calendar = calendar()
        m = facts.major
        self.major = m.name or self.clean.major
        self.level = self.clean.level if m.level == "default" else m.level
        self.months = facts.months or m.months or self.clean.months
        self.opening = facts.opening
        self.end = facts.end or add_months(self.opening, self.months) - DAY
        self.certificate = m.certificate or self.clean.certificate
        self.rate_yuan = m.rate_yuan if m.rate_yuan is not None else self.clean.rate_yuan
        self.online = facts.hours_online

    # -------------------------------------------------------------- the class
    def institution(self) -> None:
        f = self.f.institution
        credit = f"52{self.inst.replace('I', '').zfill(6)[:6]}MA0CASE{len(self.inst)}X"
        if f.in_directory:
            self.out.add(
                "institutions",
                institution_id=self.inst,
                name=f"案例职业培训学校{self.inst}",
                credit_code=credit,
                region_code=self.region,
                is_school=f.school,
                school_code=INSTITUTION_SCHOOL if f.school else None,
                listed_from=f.listed_from,
                listed_to=f.listed_to,
            )
        for n, b in enumerate(f.blacklisted):
            self.out.add(
                "dishonesty_list",
                record_key=f"DI-{self.inst}-{n}",
                subject_type="institution",
                id_number=None,
                credit_code=credit,
                reason="弄虚作假",
                listed_from=b.start,
                listed_to=b.end,
            )

    @property
    def region(self) -> str:
        return self.f.region or self.clean.region

    def major_row(self) -> None:
        m = self.f.major
        if not m.approved:
            return
        self.out.add(
            "institution_majors",
            institution_id=self.inst,
            policy_id=m.policy,
            major=self.major,
            level=self.level,
            required_hours=m.required_hours
            if m.required_hours is not None
            else self.clean.required_hours,
            months=m.months or self.clean.months,
            rate_fen_per_month=self.rate_yuan * 100,
            certificate=self.certificate,
            category=m.category or self.clean.category,
            knowledge_based=bool(m.knowledge_based),
            valid_from=m.valid_from,
            valid_to=m.valid_to,
        )

    def venue(self) -> str:
        v = self.f.venue
        venue_id = f"V-{self.class_id}"
        self.out.add(
            "venues",
            venue_id=venue_id,
            institution_id=self.inst if v.of_institution else "I-ELSEWHERE",
            address="案例场地",
            owned=v.owned,
            school_code=_school_code(v.school),
            verified_on=v.verified,
        )
        return venue_id

    def hours(self) -> tuple[int, int | None]:
        workdays = self.cal.count_workdays(self.opening, self.end)
        total = self.f.hours_total or self.f.hours_per_day * workdays
        practice = self.f.hours_practice
        if practice is None and self.policy.class_rules.min_practice_share is not None:
            practice = -(-total * 8 // 10)
        return total, practice

    def platform(self) -> str | None:
        if self.online <= 0 and self.f.platform is None:
            return None
        key = self.f.platform or "listed"
        name, listed_from, listed_to, fraud = PLATFORMS.get(key, (key, D(2023, 1, 1), None, False))
        self.out.add(
            "online_platforms",
            platform=name,
            listed_from=listed_from,
            listed_to=listed_to,
            removed_for_fraud=fraud,
        )
        return name

    def dates(self) -> dict[str, Any]:
        f = self.f
        filed = self.cal.add_workdays(self.opening, -10) if f.filed == "auto" else f.filed
        approved = f.approved
        if approved == "auto":
            approved = None if filed is None else self.cal.add_workdays(filed, 3)
        actual = f.actual_start
        if actual == "auto":
            actual = self.opening if self.opening <= self.out.as_of else None
        return {"filed_on": filed, "approved_on": approved, "actual_start": actual}

    def status(self, dates: dict[str, Any], paid_on: D | None) -> str:
        if self.f.status:
            return self.f.status
        as_of = self.out.as_of
        if dates["actual_start"] is None:
            return "approved" if dates["approved_on"] else "filed"
        if paid_on is not None and paid_on <= as_of:
            return "paid"
        if self.end < as_of:
            return "completed"
        return "open"

    def project(self, trainees: int) -> str | None:
        p = self.f.project
        if self.f.policy != "sichuan-2025" or p is None:
            return None
        ref = f"P-{self.class_id}"
        if p.published:
            self.out.add(
                "published_projects",
                project_ref=ref,
                region_code=self.region,
                occupation=p.occupation or self.major,
                trainees=p.trainees if p.trainees is not None else trainees,
                months=p.months or self.months,
                rate_fen_per_month=(p.rate_yuan if p.rate_yuan is not None else self.rate_yuan)
                * 100,
                published_on=p.published_on or self.opening - dt.timedelta(days=30),
            )
        return ref

    def payout_rows(self, people: list[Person]) -> D | None:
        """Acceptance, checks, violations, notice and payment; returns the paid date."""
        f = self.f
        if f.acceptance is not None:
            applied = f.acceptance.applied or self.cal.add_workdays(self.end, -15)
            self.out.add(
                "completion_acceptance",
                class_id=self.class_id,
                id_number=None,
                applied_on=applied,
                accepted_on=self.end + 3 * DAY if f.acceptance.accepted else None,
                accepted=f.acceptance.accepted,
            )
        for n, (present, enrolled) in enumerate(f.checks):
            self.out.add(
                "attendance_checks",
                class_id=self.class_id,
                checked_on=self.opening + (n + 1) * 7 * DAY,
                enrolled=enrolled,
                present=present,
            )
        for n, percent in enumerate(f.violations):
            self.out.add(
                "violations",
                class_id=self.class_id,
                found_on=self.opening + (n + 10) * DAY,
                description=f"违规{n + 1}",
                deduction_rate=percent / 100,
            )
        notice = f.notice
        if notice is None:
            return None
        if notice == "auto":
            published = self.cal.next_workday(self.end + 20 * DAY)
            ends = self.cal.add_workdays(published, 4)
            notice = model.Notice(published=published, paid=self.cal.add_workdays(ends, 2))
        else:
            ends = self.cal.add_workdays(self.cal.next_workday(notice.published), 4)
        batch = f"B-{self.class_id}"
        self.out.add(
            "notices",
            batch_id=batch,
            class_id=self.class_id,
            published_on=notice.published,
            ends_on=ends,
        )
        for raised, resolved in notice.objections:
            self.out.add(
                "notice_objections",
                batch_id=batch,
                class_id=self.class_id,
                id_number=people[0].number if people else None,
                raised_on=raised,
                resolved_on=resolved,
            )
        if notice.paid is not None and notice.paid <= self.out.as_of:
            self.out.add(
                "payments",
                class_id=self.class_id,
                batch_id=batch,
                amount_fen=100,
                paid_on=notice.paid,
                account_type=notice.account,
            )
        return notice.paid

    def build(self, people: list[Person]) -> None:
        self.institution()
        self.major_row()
        venue = self.venue()
        total, practice = self.hours()
        platform = self.platform()
        dates = self.dates()
        project = self.project(len({p.number for p in people}))
        paid = self.payout_rows(people)
        self.out.add(
            "classes",
            class_id=self.class_id,
            policy_id=self.f.policy,
            region_code=self.region,
            institution_id=self.inst,
            major=self.major,
            level=self.level,
            venue_id=venue,
            offsite_filed=self.f.offsite_filed,
            planned_start=self.opening,
            planned_end=self.end,
            months=self.months,
            hours_per_day=self.f.hours_per_day,
            hours_total=total,
            hours_practice=practice,
            hours_online=self.online,
            online_platform=platform,
            category=self.f.category or self.clean.category,
            project_ref=project,
            filing_batch=self.f.filing_batch,
            status=self.status(dates, paid),
            **dates,
        )
        seq = 0
        for person in people:
            for _ in range(person.spec.rows):
                seq += 1
                typed = id_form(person.number, person.spec.roster_id)
                self.out.add(
                    "roster_entries",
                    class_id=self.class_id,
                    seq=seq,
                    id_number=idnumber.stored(typed),
                    id_number_raw=typed,
                    name=person.spec.roster_name or person.name,
                    sex=None,
                    school_name=None,
                    graduated_on=None,
                    education=None,
                    phone_masked=None,
                )
                self.out.person_labels.setdefault(idnumber.stored(typed), person.label)
            self.trainee_payout(person)

    # ------------------------------------------------------------ per trainee
    def evidence(self) -> list[str]:
        kinds: list[str] = []
        overlays = [
            p
            for p in policy.in_force(self.region, self.opening)
            if p.programme is None and p.id != self.policy.id
        ]
        for p in [self.policy, *overlays]:
            if p.attendance.evidence_required:
                kinds += p.attendance.evidence_required.value
            if self.online > 0 and p.attendance.online_evidence_required:
                kinds += p.attendance.online_evidence_required.value
        return list(dict.fromkeys(kinds))

    def trainee_payout(self, person: Person) -> None:
        t = person.spec
        number = idnumber.stored(id_form(person.number, t.roster_id))
        reasons = set(t.because)
        dropped = t.dropped or (
            self.opening + (self.end - self.opening) // 3 if "DROPPED_OUT" in reasons else None
        )
        if dropped:
            self.out.add(
                "dropouts", class_id=self.class_id, id_number=number, left_on=dropped, reason="退学"
            )
        exam = t.exam
        if "EXAM_FAILED" in reasons:
            exam = "failed"
        elif "EXAM_ABSENT" in reasons:
            exam = "absent"
        elif dropped and exam == "passed":
            exam = "none"
        if exam != "none":
            passed = exam == "passed"
            self.out.add(
                "exam_results",
                class_id=self.class_id,
                id_number=number,
                status=exam,
                certificate_type=(t.certificate or self.certificate) if passed else None,
                certificate_no=f"CERT-{number[-6:]}" if passed else None,
                issued_on=self.end + 15 * DAY if passed else None,
            )
        materials = t.materials and "MATERIALS_INCOMPLETE" not in reasons
        self.out.add(
            "materials_review",
            class_id=self.class_id,
            id_number=number,
            passed=materials,
            missing=[] if materials else ["培训登记表"],
        )
        kinds = self.evidence()
        missing = set(t.evidence_missing)
        if "ATTENDANCE_EVIDENCE_MISSING" in reasons and kinds:
            missing.add(kinds[0])
        evidence = [k for k in kinds if k not in missing]
        online = t.online_hours if t.online_hours is not None else self.online
        if t.attendance is not None or "LOW_ATTENDANCE" in reasons:
            a = t.attendance or model.Attendance(present=85, required=100)
            self.out.add(
                "attendance",
                class_id=self.class_id,
                id_number=number,
                month=self.opening.replace(day=1),
                days_required=a.required,
                days_present=a.present,
                hours_online=online,
                evidence=evidence,
            )
        else:
            month = self.opening.replace(day=1)
            first = True
            while month <= self.end:
                lo = max(month, self.opening)
                hi = min(add_months(month, 1) - DAY, self.end)
                days = self.cal.count_workdays(lo, hi)
                self.out.add(
                    "attendance",
                    class_id=self.class_id,
                    id_number=number,
                    month=month,
                    days_required=days,
                    days_present=days,
                    hours_online=online if first else 0,
                    evidence=evidence,
                )
                first = False
                month = add_months(month, 1)
        if t.provincial and "NOT_IN_PROVINCIAL_SYSTEM" not in reasons:
            self.out.add(
                "provincial_training_system",
                record_key=f"PT-{self.class_id}-{number}",
                id_number=number,
                class_id=self.class_id,
                recorded_on=self.opening,
            )
        cert = t.certification_subsidy
        if cert is None and "DUPLICATE_CERTIFICATION_SUBSIDY" in reasons:
            cert = model.CertSubsidy(first=self.f.policy != "shenyang-2022")
        if cert is not None:
            self.out.add(
                "certification_subsidies",
                id_number=number,
                class_id=self.class_id,
                amount_fen=30000,
                paid_on=cert.paid_on or self.end + 30 * DAY,
                first_certification=cert.first,
            )


def _school_code(school: str | None) -> str | None:
    """A school named as study records name it (``institution``, ``liaoning``, …), as
    its code; any other text is a code already."""
    if school is None:
        return None
    if school == "institution":
        return INSTITUTION_SCHOOL
    return SCHOOLS[school][0] if school in SCHOOLS else school


def _student_default(facts: model.ClassFacts) -> D:
    if facts.policy == "shenyang-2022":
        return D(2021, 6, 30)
    return D(facts.opening.year - 1, 6, 30)


def _registries(out: Built, person: Person, facts: model.ClassFacts, end: D) -> None:
    t, number, name = person.spec, person.number, person.name
    key = person.label
    if t.household is not None:
        h = t.household
        out.add(
            "household_registration",
            id_number=id_form(number, h.id),
            name=h.name or name,
            province_code=h.province,
            city_code=h.city or (h.province + "01"),
            county_code=h.county,
        )
    students = t.student
    if students is None:
        students = [model.Student(graduated=_student_default(facts))]
    for n, s in enumerate(students):
        if s.school == "institution":
            code, school, province = INSTITUTION_SCHOOL, "案例院校", "21"
        else:
            code, school, province = SCHOOLS[s.school]
        out.add(
            "student_status",
            record_key=f"ST-{key}-{n}",
            id_number=id_form(number, s.id),
            name=s.name or name,
            school_name=school,
            school_code=s.code or code,
            school_province=province if s.province_sent else None,
            level=s.level,
            study_mode=s.mode,
            enrolled_on=s.enrolled or D(s.graduated.year - 4, 9, 1),
            graduated_on=s.graduated,
            graduation_expected=s.status in ("enrolled", "在读"),
            status=s.status,
        )
    pensions = list(t.pension)
    reasons = set(t.because)
    if "EMPLOYED_DURING_TRAINING" in reasons:
        month = add_months(facts.opening.replace(day=1), 1)
        pensions.append(model.Pension(start=f"{month:%Y-%m}"))
    if "PRIOR_EMPLOYMENT" in reasons:
        month = add_months(facts.opening.replace(day=1), -2)
        pensions.append(model.Pension(start=f"{month:%Y-%m}"))
    for n, p in enumerate(pensions):
        out.add(
            "pension_contributions",
            record_key=f"PE-{key}-{n}",
            id_number=id_form(number, p.id),
            name=p.name or name,
            scheme=p.scheme,
            employer_name="案例科技有限公司",
            employer_credit_code="91210100MA0CASE01X",
            city_code="2101",
            month_from=_month(p.start),
            month_to=_month(p.end or p.start),
        )
    licences = list(t.licences)
    if "BUSINESS_DURING_TRAINING" in reasons:
        licences.append(model.Licence(established=facts.opening + 10 * DAY))
    if "PRIOR_BUSINESS" in reasons:
        licences.append(model.Licence(established=facts.opening - 30 * DAY))
    for n, lic in enumerate(licences):
        shop = lic.role == "operator"
        out.add(
            "business_licences",
            record_key=f"LI-{key}-{n}",
            id_number=id_form(number, lic.id),
            name=lic.name or name,
            role=lic.role,
            entity_name="案例便利店" if shop else "案例商贸有限公司",
            credit_code="92210400MA0CASE02X" if shop else "91210400MA0CASE03X",
            entity_type="个体工商户" if shop else "企业",
            established_on=lic.established,
            status="deregistered" if lic.deregistered else "active",
            deregistered_on=lic.deregistered,
        )
    trainings = list(t.training)
    if "DUPLICATE_SUBSIDY" in reasons:
        y = facts.opening.year - 1
        trainings.append(
            model.Training(start=D(y, 3, 1), end=D(y, 6, 30), paid_on=D(end.year, 1, 10))
        )
    for n, tr in enumerate(trainings):
        out.add(
            "training_records",
            record_key=f"TR-{key}-{n}",
            id_number=id_form(number, tr.id),
            name=tr.name or name,
            region_code=tr.region,
            institution="外地职业培训学校",
            programme=tr.programme,
            class_ref=f"EXT-{key}-{n}",
            start_date=tr.start,
            end_date=tr.end,
            status=tr.status,
            subsidised=tr.subsidised,
            subsidy_fen=800000 if tr.subsidised and tr.paid_on else 0,
            subsidy_paid_on=tr.paid_on,
        )
    for n, b in enumerate(t.blacklist):
        out.add(
            "dishonesty_list",
            record_key=f"DP-{key}-{n}",
            subject_type="person",
            id_number=id_form(number, b.id),
            credit_code=None,
            reason="虚假培训",
            listed_from=b.start,
            listed_to=b.end,
        )
    if t.own_graduate:
        # the institution's own graduating class: graduates in June after the opening,
        # inside the graduation academic year
        o = facts.opening
        grad = D(o.year + (1 if o.month >= 9 else 0), 6, 30)
        out.add(
            "student_status",
            record_key=f"ST-{key}-own",
            id_number=number,
            name=name,
            school_name="案例院校",
            school_code=INSTITUTION_SCHOOL,
            school_province="21",
            level="本科",
            study_mode="全日制",
            enrolled_on=D(grad.year - 4, 9, 1),
            graduated_on=grad,
            graduation_expected=True,
            status="enrolled",
        )


def people(case: model.Case) -> list[Person]:
    """Every person of the case, with their ID number and name."""
    out: list[Person] = []
    region = case.facts.region or CLEAN[case.facts.policy].region
    grad = _student_default(case.facts)
    index = 0
    for spec in case.trainees:
        for copy in range(spec.copies):
            label = spec.label if copy == 0 else f"{spec.label}{copy + 1}"
            birth = spec.birth or D(grad.year - 22, 5, 15) + dt.timedelta(days=index // 20)
            number = spec.id or make_id(spec.region or region, birth, index % 20, spec.ends_in_x)
            if spec.name is not None:
                name = spec.name
            elif index < len(NAMES):
                name = NAMES[index]
            else:
                name = NAMES[index % len(NAMES)][0] + "晓" + "一二三四五六七八九十"[index % 10]
            if spec.namesake_of is not None:
                twin = next((p for p in out if p.label == spec.namesake_of), None)
                if twin is None:
                    raise ValueError(f"namesake_of {spec.namesake_of!r}: list that person first")
                number, name = id_form(twin.number, "other"), spec.name or twin.name
            out.append(Person(label, spec, number, name))
            index += 1
    labels = [p.label for p in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"trainee labels collide: {labels}")
    return out


def build(case: model.Case) -> Built:
    """Every row the case puts in the warehouse."""
    everyone = people(case)
    classes: list[tuple[str, model.ClassFacts, str, list[Person]]] = [
        ("main", case.facts, "CMAIN", [p for p in everyone if p.spec.on_roster])
    ]
    by_label = {p.label: p for p in everyone}
    for other in case.others:
        classes.append(
            (other.label, other.facts, f"C{other.label}", [by_label[x] for x in other.trainees])
        )
    ends = []
    for _, facts, _, _ in classes:
        months = facts.months or facts.major.months or CLEAN[facts.policy].months
        ends.append(facts.end or add_months(facts.opening, months) - DAY)
    out = Built(as_of=case.as_of or min(max(ends) + 60 * DAY, D(2026, 12, 31)))
    seen_institutions: set[str] = set()
    for label, facts, class_id, members in classes:
        found = next((o for o in case.others if o.label == label), None)
        inst = "I0001" if found is None or found.institution == "same" else f"I-{label}"
        builder = _ClassBuild(out, case, facts, class_id, inst)
        if inst in seen_institutions:
            # the institution and its directory rows come from the first class that
            # names it; later classes add only their own major
            before = {k: len(v) for k, v in out.rows.items()}
            builder.build(members)
            _dedupe_institution(out, before, inst)
        else:
            builder.build(members)
        seen_institutions.add(inst)
        out.class_labels[class_id] = label
    for person in everyone:
        _registries(out, person, case.facts, ends[0])
    return out


def _dedupe_institution(out: Built, before: dict[str, int], inst: str) -> None:
    """Drop the rows a later class of the same institution added again."""
    rows = out.rows.get("institutions", [])
    start = before.get("institutions", 0)
    out.rows["institutions"] = rows[:start] + [
        r for r in rows[start:] if r["institution_id"] != inst
    ]
    majors = out.rows.get("institution_majors", [])
    start = before.get("institution_majors", 0)

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return r["institution_id"], r["major"], r["level"], r["policy_id"]

    known = {key(r) for r in majors[:start]}
    out.rows["institution_majors"] = majors[:start] + [
        r for r in majors[start:] if key(r) not in known
    ]
    listed = out.rows.get("dishonesty_list", [])
    start = before.get("dishonesty_list", 0)
    out.rows["dishonesty_list"] = listed[:start] + [
        r for r in listed[start:] if r["subject_type"] != "institution"
    ]
