"""Reference data: the default fishbone (Ishikawa) cause categories, editable afterwards."""

CAUSE_CATEGORIES = [
    # code, Vietnamese, English, Lao
    ("people", "Con người", "People", "ຄົນ"),
    ("methods", "Phương pháp", "Methods", "ວິທີການ"),
    (
        "materials",
        "Vật tư và cơ sở vật chất",
        "Materials and facilities",
        "ວັດຖຸ ແລະ ສິ່ງອຳນວຍຄວາມສະດວກ",
    ),
    ("environment", "Môi trường", "Environment", "ສະພາບແວດລ້ອມ"),
    ("management", "Quản lý", "Management", "ການຄຸ້ມຄອງ"),
    ("measurement", "Đo lường", "Measurement", "ການວັດແທກ"),
]


def load_reference_data(apps):
    """Create the default categories when missing; never overwrite names an admin edited."""
    CauseCategory = apps.get_model("nonconformities", "CauseCategory")
    for order, (code, name, name_en, name_lo) in enumerate(CAUSE_CATEGORIES, start=1):
        CauseCategory.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "name_lo": name_lo, "order": order},
        )
