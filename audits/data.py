"""Reference data of the audits module: the default finding grades (a configurable list)."""

# code, Vietnamese name, English name, Lao name, NC severity, order
FINDING_GRADES = [
    ("major_nc", "Điểm không phù hợp lớn", "Major nonconformity", "ຂໍ້ບໍ່ສອດຄ່ອງໃຫຍ່", "major", 10),
    ("minor_nc", "Điểm không phù hợp nhỏ", "Minor nonconformity", "ຂໍ້ບໍ່ສອດຄ່ອງນ້ອຍ", "minor", 20),
    ("observation", "Điểm lưu ý", "Observation", "ຂໍ້ສັງເກດ", "", 30),
    ("ofi", "Cơ hội cải tiến", "Opportunity for improvement", "ໂອກາດປັບປຸງ", "", 40),
    ("good_practice", "Thực hành tốt", "Good practice", "ການປະຕິບັດທີ່ດີ", "", 50),
]


def load_reference_data(apps):
    """Create the default grades, or refresh their names; never removes a grade in use."""
    FindingGrade = apps.get_model("audits", "FindingGrade")
    for code, name, name_en, name_lo, severity, order in FINDING_GRADES:
        FindingGrade.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "name_lo": name_lo,
                "severity": severity,
                "order": order,
            },
        )
