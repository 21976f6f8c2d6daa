"""Reference data: the five areas of the Ministry's satisfaction toolkit (Decision
3476/QĐ-BGDĐT, 2019), and template instruments for parents, learners and staff in our own words.
"""

AREAS = [
    # code, Vietnamese, English, Lao
    ("access", "Tiếp cận dịch vụ giáo dục", "Access to education", "ການເຂົ້າເຖິງການສຶກສາ"),
    (
        "facilities",
        "Cơ sở vật chất, trang thiết bị",
        "Facilities and equipment",
        "ສິ່ງອຳນວຍຄວາມສະດວກ",
    ),
    (
        "environment",
        "Môi trường giáo dục",
        "Educational environment",
        "ສະພາບແວດລ້ອມການສຶກສາ",
    ),
    (
        "activities",
        "Hoạt động giáo dục",
        "Educational activities",
        "ກິດຈະກຳການສຶກສາ",
    ),
    ("results", "Kết quả giáo dục", "Educational results", "ຜົນການສຶກສາ"),
]


def load_reference_data(apps):
    """Create or refresh the areas (idempotent; used by the data migration and the test suite)."""
    Area = apps.get_model("surveys", "Area")
    for order, (code, name, name_en, name_lo) in enumerate(AREAS, start=1):
        Area.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "name_lo": name_lo, "order": order},
        )


INTRO = (
    "Phiếu khảo sát này hoàn toàn ẩn danh: hệ thống không lưu tên, số điện thoại, địa chỉ máy "
    "hay giờ trả lời của bạn. Xin trả lời theo đúng cảm nhận của mình; mất khoảng 1–2 phút.",
    "This survey is anonymous: we store no name, phone number, device address or time of your "
    "answers. Please answer as you honestly feel; it takes about 1–2 minutes.",
    "ແບບສຳຫຼວດນີ້ບໍ່ລະບຸຊື່: ພວກເຮົາບໍ່ເກັບຊື່, ເບີໂທ ຫຼື ເວລາຕອບຂອງທ່ານ.",
)

# Template instruments. A question: (code, kind, (vi, en, lo), options) where options may hold
# "area", "required", "choices" [(value, (vi, en, lo))], "min"/"max", "show_if" (code, [values]).
TEMPLATES = {
    "parents": {
        "title": (
            "Khảo sát sự hài lòng của cha mẹ học sinh",
            "Parent satisfaction survey",
            "ແບບສຳຫຼວດຄວາມພໍໃຈຂອງພໍ່ແມ່ນັກຮຽນ",
        ),
        "group": "parents",
        "sections": [
            (
                ("Về con và nhà trường", "About your child and the school", "ກ່ຽວກັບລູກ ແລະ ໂຮງຮຽນ"),
                [
                    (
                        "p1",
                        "single",
                        (
                            "Con của anh/chị đang học khối lớp nào?",
                            "Which grade is your child in?",
                            "ລູກຂອງທ່ານຮຽນຊັ້ນໃດ?",
                        ),
                        {
                            "required": True,
                            "choices": [
                                (1, ("Lớp 1–2", "Grade 1–2", "ຊັ້ນ 1–2")),
                                (2, ("Lớp 3–4", "Grade 3–4", "ຊັ້ນ 3–4")),
                                (3, ("Lớp 5", "Grade 5", "ຊັ້ນ 5")),
                            ],
                        },
                    ),
                    (
                        "p2",
                        "likert",
                        (
                            "Việc tuyển sinh, nhập học và các thủ tục của nhà trường thuận tiện.",
                            "Enrolment and school procedures are easy.",
                            "ການລົງທະບຽນເຂົ້າຮຽນ ແລະ ຂັ້ນຕອນຕ່າງໆ ສະດວກ.",
                        ),
                        {"area": "access", "required": True},
                    ),
                    (
                        "p3",
                        "likert",
                        (
                            "Phòng học, nhà vệ sinh và nước uống sạch sẽ, an toàn.",
                            "Classrooms, toilets and drinking water are clean and safe.",
                            "ຫ້ອງຮຽນ, ຫ້ອງນ້ຳ ແລະ ນ້ຳດື່ມ ສະອາດ ແລະ ປອດໄພ.",
                        ),
                        {"area": "facilities", "required": True},
                    ),
                    (
                        "p4",
                        "likert",
                        (
                            "Thầy cô đối xử công bằng, tôn trọng với con tôi.",
                            "Teachers treat my child fairly and with respect.",
                            "ຄູປະຕິບັດຕໍ່ລູກຂອງຂ້ອຍຢ່າງຍຸດຕິທຳ ແລະ ເຄົາລົບ.",
                        ),
                        {"area": "environment", "required": True},
                    ),
                ],
            ),
            (
                ("Việc học của con", "Your child's learning", "ການຮຽນຂອງລູກ"),
                [
                    (
                        "p5",
                        "likert",
                        (
                            "Nhà trường thông tin kịp thời về việc học của con.",
                            "The school tells me in good time how my child is learning.",
                            "ໂຮງຮຽນແຈ້ງການຮຽນຂອງລູກໃຫ້ຮູ້ທັນເວລາ.",
                        ),
                        {"area": "activities", "required": True},
                    ),
                    (
                        "p6",
                        "likert",
                        (
                            "Con tôi tiến bộ rõ rệt trong năm học này.",
                            "My child has clearly progressed this school year.",
                            "ລູກຂອງຂ້ອຍມີຄວາມກ້າວໜ້າໃນປີຮຽນນີ້.",
                        ),
                        {"area": "results", "required": True},
                    ),
                    (
                        "p7",
                        "nps",
                        (
                            "Anh/chị có sẵn lòng giới thiệu trường cho người quen không? (0–10)",
                            "How likely are you to recommend this school to others? (0–10)",
                            "ທ່ານຈະແນະນຳໂຮງຮຽນນີ້ໃຫ້ຄົນອື່ນບໍ? (0–10)",
                        ),
                        {},
                    ),
                ],
            ),
            (
                ("Góp ý", "Suggestions", "ຄຳແນະນຳ"),
                [
                    (
                        "p8",
                        "long_text",
                        (
                            "Điều gì khiến anh/chị chưa hài lòng? Xin góp ý để nhà trường cải thiện.",
                            "What are you not satisfied with? Tell us how the school can improve.",
                            "ທ່ານບໍ່ພໍໃຈຫຍັງ? ກະລຸນາແນະນຳ.",
                        ),
                        {"show_if": ("p4", [1, 2])},
                    ),
                    (
                        "p9",
                        "short_text",
                        (
                            "Một điều nhà trường làm tốt nhất là gì?",
                            "What does the school do best?",
                            "ໂຮງຮຽນເຮັດຫຍັງໄດ້ດີທີ່ສຸດ?",
                        ),
                        {},
                    ),
                ],
            ),
        ],
    },
    "learners": {
        "title": (
            "Khảo sát sự hài lòng của học sinh",
            "Learner satisfaction survey",
            "ແບບສຳຫຼວດຄວາມພໍໃຈຂອງນັກຮຽນ",
        ),
        "group": "learners",
        "sections": [
            (
                ("Trường học của em", "Your school", "ໂຮງຮຽນຂອງເຈົ້າ"),
                [
                    (
                        "l1",
                        "likert",
                        (
                            "Em đến trường dễ dàng và an toàn.",
                            "I can get to school easily and safely.",
                            "ຂ້ອຍມາໂຮງຮຽນໄດ້ງ່າຍ ແລະ ປອດໄພ.",
                        ),
                        {"area": "access", "required": True},
                    ),
                    (
                        "l2",
                        "likert",
                        (
                            "Lớp học đủ ánh sáng, bàn ghế và đồ dùng học tập.",
                            "My classroom has enough light, desks and learning materials.",
                            "ຫ້ອງຮຽນມີແສງສະຫວ່າງ, ໂຕະຕັ່ງ ແລະ ອຸປະກອນພຽງພໍ.",
                        ),
                        {"area": "facilities", "required": True},
                    ),
                    (
                        "l3",
                        "likert",
                        (
                            "Ở trường em cảm thấy an toàn, không bị bắt nạt.",
                            "I feel safe at school and am not bullied.",
                            "ຂ້ອຍຮູ້ສຶກປອດໄພຢູ່ໂຮງຮຽນ.",
                        ),
                        {"area": "environment", "required": True},
                    ),
                ],
            ),
            (
                ("Việc học", "Learning", "ການຮຽນ"),
                [
                    (
                        "l4",
                        "likert",
                        (
                            "Thầy cô giảng dễ hiểu và giúp đỡ khi em chưa hiểu.",
                            "Teachers explain clearly and help me when I do not understand.",
                            "ຄູອະທິບາຍເຂົ້າໃຈງ່າຍ.",
                        ),
                        {"area": "activities", "required": True},
                    ),
                    (
                        "l5",
                        "likert",
                        (
                            "Em học được nhiều điều có ích trong năm nay.",
                            "I learned many useful things this year.",
                            "ຂ້ອຍໄດ້ຮຽນຮູ້ຫຼາຍສິ່ງທີ່ເປັນປະໂຫຍດ.",
                        ),
                        {"area": "results", "required": True},
                    ),
                    (
                        "l6",
                        "multiple",
                        (
                            "Em thích hoạt động nào ở trường? (chọn nhiều)",
                            "Which school activities do you enjoy? (choose any)",
                            "ເຈົ້າມັກກິດຈະກຳໃດ?",
                        ),
                        {
                            "choices": [
                                (1, ("Thể thao", "Sports", "ກິລາ")),
                                (2, ("Văn nghệ", "Music and dance", "ສິລະປະ")),
                                (3, ("Thư viện, đọc sách", "Library and reading", "ຫ້ອງສະໝຸດ")),
                                (
                                    4,
                                    (
                                        "Trải nghiệm, ngoại khóa",
                                        "Outings and projects",
                                        "ທັດສະນະສຶກສາ",
                                    ),
                                ),
                            ]
                        },
                    ),
                    (
                        "l7",
                        "short_text",
                        (
                            "Em muốn nhà trường thay đổi điều gì?",
                            "What would you change at school?",
                            "ເຈົ້າຢາກປ່ຽນຫຍັງ?",
                        ),
                        {},
                    ),
                ],
            ),
        ],
    },
    "staff": {
        "title": (
            "Khảo sát sự hài lòng của giáo viên và nhân viên",
            "Staff satisfaction survey",
            "ແບບສຳຫຼວດຄວາມພໍໃຈຂອງຄູ ແລະ ພະນັກງານ",
        ),
        "group": "staff",
        "sections": [
            (
                ("Điều kiện làm việc", "Working conditions", "ສະພາບການເຮັດວຽກ"),
                [
                    (
                        "s1",
                        "number",
                        (
                            "Số năm anh/chị công tác tại đơn vị",
                            "Years working at this unit",
                            "ຈຳນວນປີເຮັດວຽກ",
                        ),
                        {"min": 0, "max": 45},
                    ),
                    (
                        "s2",
                        "likert",
                        (
                            "Tôi được tiếp cận đầy đủ thông tin, văn bản cần cho công việc.",
                            "I can get the information and documents my work needs.",
                            "ຂ້ອຍເຂົ້າເຖິງຂໍ້ມູນທີ່ຈຳເປັນ.",
                        ),
                        {"area": "access", "required": True},
                    ),
                    (
                        "s3",
                        "likert",
                        (
                            "Phòng làm việc, thiết bị dạy học đáp ứng yêu cầu.",
                            "Rooms and teaching equipment meet the needs.",
                            "ອຸປະກອນການສອນພຽງພໍ.",
                        ),
                        {"area": "facilities", "required": True},
                    ),
                    (
                        "s4",
                        "likert",
                        (
                            "Đồng nghiệp và lãnh đạo hỗ trợ, tôn trọng lẫn nhau.",
                            "Colleagues and managers support and respect each other.",
                            "ເພື່ອນຮ່ວມງານສະໜັບສະໜູນກັນ.",
                        ),
                        {"area": "environment", "required": True},
                    ),
                ],
            ),
            (
                ("Chuyên môn và kết quả", "Professional work and results", "ວຽກງານວິຊາການ"),
                [
                    (
                        "s5",
                        "likert",
                        (
                            "Tôi được bồi dưỡng chuyên môn phù hợp với nhu cầu.",
                            "I receive the professional training I need.",
                            "ຂ້ອຍໄດ້ຮັບການຝຶກອົບຮົມທີ່ເໝາະສົມ.",
                        ),
                        {"area": "activities", "required": True},
                    ),
                    (
                        "s6",
                        "likert",
                        (
                            "Kết quả công việc của tôi được ghi nhận công bằng.",
                            "My work results are recognised fairly.",
                            "ຜົນງານຂອງຂ້ອຍໄດ້ຮັບການຮັບຮູ້ຢ່າງຍຸດຕິທຳ.",
                        ),
                        {"area": "results", "required": True},
                    ),
                    (
                        "s7",
                        "long_text",
                        ("Đề xuất để đơn vị làm tốt hơn", "Suggestions for the unit", "ຂໍ້ສະເໜີ"),
                        {},
                    ),
                ],
            ),
        ],
    },
}
