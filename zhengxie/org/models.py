"""Organisation: committees and their terms and sessions, sectors, parties, special committees,
stations, handling units and members. Every row belongs to a committee (tenancy)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhengxie.accounts import crypto
from zhengxie.accounts.fields import EncryptedTextField

CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 14 -> 十四, 21 -> 二十一 (terms and sessions are numbered this way)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else CN_DIGITS[tens]
    return f"{head}十{CN_DIGITS[ones] if ones else ''}"


class Committee(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", "全国"
        PROVINCIAL = "provincial", "省级"
        PREFECTURE = "prefecture", "市级"
        COUNTY = "county", "县级"

    name = models.CharField("名称", max_length=100)
    region_name = models.CharField("行政区划名称", max_length=50, blank=True)
    level = models.CharField("层级", max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级政协",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # GB/T 2260 six-digit code; the national committee has none of its own.
    division_code = models.CharField("行政区划代码", max_length=6, unique=True, null=True, blank=True)
    # Materialised path of ids ("/1/5/73/"), so a committee's whole subtree is one indexed prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "政协委员会"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def code_display(self) -> str:
        return self.division_code or "全国"

    def descendants(self) -> models.QuerySet[Committee]:
        return Committee.objects.filter(path__startswith=self.path).exclude(pk=self.pk)

    def ancestors_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p and int(p) != self.pk]


class Term(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="terms")
    number = models.PositiveSmallIntegerField("届次")
    start_year = models.PositiveSmallIntegerField("起始年份")
    end_year = models.PositiveSmallIntegerField("结束年份")

    class Meta:
        verbose_name = verbose_name_plural = "届"
        ordering = ["committee", "-number"]
        constraints = [models.UniqueConstraint(fields=["committee", "number"], name="term_unique_number")]

    def __str__(self) -> str:
        return f"第{chinese_number(self.number)}届"


class Session(models.Model):
    """次会议: the yearly plenary session within a term (六届一次会议)."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="sessions")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField("次")
    year = models.PositiveSmallIntegerField("年度")
    opens_on = models.DateField("开幕日期", null=True, blank=True)
    closes_on = models.DateField("闭幕日期", null=True, blank=True)
    # Proposals are received during the plenary session (大会期间) and between sessions (闭会期间)
    # until the office closes submission for this session.
    proposals_open = models.BooleanField("接受提案", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "会议"
        ordering = ["committee", "-year"]
        constraints = [models.UniqueConstraint(fields=["term", "number"], name="session_unique_number")]
        indexes = [models.Index(fields=["committee", "year"], name="session_committee_year")]

    def __str__(self) -> str:
        return f"{chinese_number(self.term.number)}届{chinese_number(self.number)}次会议"


class Sector(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="sectors")
    name = models.CharField("界别", max_length=50)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "界别"
        ordering = ["committee", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["committee", "name"], name="sector_unique_name")]

    def __str__(self) -> str:
        return self.name


class Party(models.Model):
    """党派团体: the usual collective proposers."""

    class Kind(models.TextChoices):
        CPC = "cpc", "中国共产党"
        DEMOCRATIC = "democratic", "民主党派"
        ORGANISATION = "organisation", "人民团体"
        NON_PARTY = "non_party", "无党派人士"

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="parties")
    name = models.CharField("名称", max_length=50)
    short_name = models.CharField("简称", max_length=20)
    kind = models.CharField("类别", max_length=12, choices=Kind.choices)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "党派团体"
        ordering = ["committee", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["committee", "short_name"], name="party_unique_short")]

    def __str__(self) -> str:
        return self.short_name


class SpecialCommittee(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="special_committees")
    name = models.CharField("名称", max_length=60)

    class Meta:
        verbose_name = verbose_name_plural = "专门委员会"
        ordering = ["committee", "id"]
        constraints = [models.UniqueConstraint(fields=["committee", "name"], name="special_unique_name")]

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    class Kind(models.TextChoices):
        STUDIO = "studio", "委员工作室"
        LIAISON = "liaison", "委员联络站"
        ROOM = "room", "协商议事室"
        HOME = "home", "委员之家"
        HALL = "hall", "委员议事厅"

    class Level(models.TextChoices):
        DISTRICT = "district", "区级议事厅"
        STREET = "street", "镇街议事室"
        VILLAGE = "village", "村居委员之家"

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="stations")
    name = models.CharField("名称", max_length=80)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级站点",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    address = models.CharField("地址", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "委员工作站点"
        ordering = ["committee", "level", "id"]
        constraints = [models.UniqueConstraint(fields=["committee", "name"], name="station_unique_name")]

    def __str__(self) -> str:
        return self.name


class HandlingUnit(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "department", "政府部门"
        GOVERNMENT = "government", "下级政府"
        ORGANISATION = "organisation", "人民团体"
        VERTICAL = "vertical", "垂直管理单位"
        ENTERPRISE = "enterprise", "国有企业"
        OTHER = "other", "其他"

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="handling_units")
    name = models.CharField("单位名称", max_length=80)
    kind = models.CharField("类别", max_length=12, choices=Kind.choices, default=Kind.DEPARTMENT)
    contact_name = models.CharField("联系人", max_length=30, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "承办单位"
        ordering = ["committee", "id"]
        constraints = [models.UniqueConstraint(fields=["committee", "name"], name="unit_unique_name")]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    class Position(models.TextChoices):
        CHAIR = "chair", "主席"
        VICE_CHAIR = "vice_chair", "副主席"
        SECRETARY_GENERAL = "secretary_general", "秘书长"
        STANDING = "standing", "常委"
        MEMBER = "member", "委员"

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class Status(models.TextChoices):
        ACTIVE = "active", "在任"
        LEFT = "left", "已离任"

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    term = models.ForeignKey(Term, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    name = models.CharField("姓名", max_length=30)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField("出生年份", null=True, blank=True)
    sector = models.ForeignKey(Sector, verbose_name="界别", on_delete=models.PROTECT, related_name="members")
    party = models.ForeignKey(
        Party, verbose_name="党派", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    position = models.CharField("职务", max_length=20, choices=Position.choices, default=Position.MEMBER)
    special_committees = models.ManyToManyField(
        SpecialCommittee, verbose_name="专门委员会", blank=True, related_name="members"
    )
    station = models.ForeignKey(
        Station,
        verbose_name="所属站点",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    is_cpc_member = models.BooleanField("中共党员", default=False)
    is_hk_macao = models.BooleanField("港澳委员", default=False)
    enterprise = models.CharField("工作单位/企业", max_length=100, blank=True)
    # 住区委员: a member of this (higher) committee who lives in, and works with, a lower committee.
    resident_committee = models.ForeignKey(
        Committee,
        verbose_name="住区政协",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_members",
    )
    id_number = EncryptedTextField("身份证号", blank=True)
    mobile = EncryptedTextField("手机号", blank=True)
    mobile_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number_index = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "委员"
        ordering = ["committee", "id"]
        indexes = [
            models.Index(fields=["committee", "status", "sector"], name="member_committee_sector"),
            models.Index(fields=["committee", "name"], name="member_committee_name"),
            models.Index(fields=["resident_committee"], name="member_resident"),
            # Covers the home page's counts (standing, non-CPC, HK/Macao) without reading member rows.
            models.Index(
                fields=["committee", "status", "position", "is_cpc_member", "is_hk_macao"],
                name="member_home_counts",
            ),
        ]
        constraints = [
            # One person is one member of a committee: the ID number's blind index is unique per committee.
            models.UniqueConstraint(
                fields=["committee", "id_number_index"],
                condition=~Q(id_number_index=""),
                name="member_unique_id_number",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.mobile = crypto.normalise_mobile(self.mobile)
        self.id_number = (self.id_number or "").upper()
        self.mobile_index = crypto.blind_index(self.mobile)
        self.id_number_index = crypto.blind_index(self.id_number)
        if kwargs.get("update_fields") and ({"mobile", "id_number"} & set(kwargs["update_fields"])):
            kwargs["update_fields"] = {*kwargs["update_fields"], "mobile_index", "id_number_index"}
        super().save(*args, **kwargs)

    @property
    def mobile_masked(self) -> str:
        return crypto.mask_mobile(self.mobile)

    @property
    def id_number_masked(self) -> str:
        return crypto.mask_id_number(self.id_number)
