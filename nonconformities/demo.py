"""Demo nonconformities for ``seed_demo``: about 150 NCs of Sở GD&ĐT Sơn La and its schools, in
every state and from every source, some overdue and some repeats.

Every NC is taken through the real services by the people who would do each step; only dates are
moved back afterwards, so the register shows ages, overdue actions and closures spread over the
last fourteen months. Idempotent: an NC is found by its unit and title before it is created.
NCs raised from audit findings come from the audits demo through ``nonconformity_raise``.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from ims.demo import DEMO_PASSWORD
from ims.models import Clause
from nonconformities import services
from nonconformities.models import (
    CauseCategory,
    CorrectiveAction,
    Nonconformity,
    Verification,
)

ORDER = 40
TOTAL = 150

S = Nonconformity.Status
SOURCES = list(Nonconformity.Source.values)


@dataclass(frozen=True)
class Case:
    title: str
    description: str
    clause: str  # ISO 9001:2015 clause number
    containment: str
    whys: tuple
    fishbone: tuple  # (category code, cause)
    root_cause: str
    extent: str
    action: str
    evidence: str
    verification: str


CASES = [
    Case(
        "Hồ sơ tuyển sinh lớp 1 thiếu biên bản xét duyệt",
        "Kiểm tra hồ sơ tuyển sinh năm học 2025–2026: không có biên bản họp hội đồng xét duyệt "
        "tuyển sinh lớp 1 theo quy trình QT-05.",
        "7.5",
        "Hội đồng tuyển sinh đã họp bổ sung, lập biên bản và lưu vào hồ sơ.",
        (
            "Biên bản không có trong hồ sơ lưu",
            "Thư ký hội đồng không lập biên bản",
            "Quy trình không giao rõ ai lập và lưu biên bản",
        ),
        (("methods", "Quy trình QT-05 thiếu bước lập biên bản"),),
        "Quy trình tuyển sinh chưa quy định người chịu trách nhiệm lập và lưu biên bản xét duyệt.",
        "Đã rà soát hồ sơ tuyển sinh lớp 6 và lớp 10: đầy đủ biên bản.",
        "Sửa đổi QT-05, bổ sung bước lập biên bản và phân công thư ký hội đồng.",
        "QT-05 lần ban hành 3 đã được phê duyệt và phổ biến ngày 15/9.",
        "Kiểm tra hồ sơ tuyển sinh đợt bổ sung: biên bản đầy đủ, đúng mẫu BM-05-02.",
    ),
    Case(
        "Sổ điểm điện tử cập nhật chậm so với quy định",
        "Điểm kiểm tra giữa kỳ của 4 lớp được nhập vào sổ điểm điện tử sau hạn 10 ngày.",
        "8.5.1",
        "Giáo viên bộ môn đã nhập đủ điểm; phụ huynh được thông báo kết quả qua nhóm lớp.",
        (
            "Điểm nhập trễ hạn",
            "Giáo viên mới chưa được cấp tài khoản kịp thời",
            "Chưa có quy định bàn giao tài khoản khi phân công chuyên môn",
        ),
        (
            ("people", "Giáo viên mới chưa được hướng dẫn sử dụng phần mềm"),
            ("management", "Không có người theo dõi hạn nhập điểm"),
        ),
        "Chưa có quy định cấp tài khoản và theo dõi hạn nhập điểm khi phân công chuyên môn đầu "
        "năm học.",
        "Rà soát toàn trường: 2 tổ chuyên môn khác cũng có giáo viên chưa được cấp tài khoản.",
        "Ban hành hướng dẫn cấp tài khoản sổ điểm điện tử và lịch nhắc hạn nhập điểm hằng tháng.",
        "Hướng dẫn số 12/HD-THTH đã ban hành; lịch nhắc được đưa lên nhóm chuyên môn.",
        "Theo dõi 2 tháng: 100% điểm được nhập đúng hạn.",
    ),
    Case(
        "Phụ huynh phản ánh suất ăn bán trú không đủ định lượng",
        "Phụ huynh lớp 2A phản ánh qua đường dây nóng: suất ăn trưa ngày 12/10 thiếu thịt so với "
        "thực đơn đã công bố.",
        "8.5.1",
        "Đã kiểm tra lại bếp, bổ sung định lượng và xin lỗi phụ huynh; niêm yết thực đơn hằng "
        "ngày.",
        ("Suất ăn thiếu định lượng", "Không có người kiểm tra khi chia suất"),
        (
            ("methods", "Chưa có bước kiểm tra định lượng trước khi chia"),
            ("materials", "Cân thực phẩm của bếp bị hỏng"),
        ),
        "Không có bước kiểm tra định lượng khi chia suất ăn và thiết bị cân không được kiểm tra.",
        "Kiểm tra bếp ăn của 3 điểm trường lẻ: chưa phát hiện trường hợp tương tự.",
        "Bổ sung bước kiểm tra định lượng có ký xác nhận, thay cân mới và kiểm tra cân hằng tuần.",
        "Sổ kiểm tra định lượng có chữ ký hằng ngày; hóa đơn mua cân mới.",
        "Khảo sát nhanh 30 phụ huynh: không còn phản ánh về định lượng.",
    ),
    Case(
        "Chỉ số tỷ lệ học sinh chuyên cần dưới mục tiêu",
        "Tỷ lệ chuyên cần học kỳ I đạt 91%, thấp hơn mục tiêu chất lượng 95% của năm học.",
        "9.1.3",
        "Giáo viên chủ nhiệm đã đến nhà vận động 14 học sinh nghỉ học dài ngày trở lại lớp.",
        (
            "Học sinh nghỉ học vào mùa nương rẫy",
            "Gia đình cần lao động phụ",
            "Nhà trường chưa có kế hoạch phối hợp với thôn bản",
        ),
        (
            ("environment", "Đường đến trường xa, mùa mưa sạt lở"),
            ("management", "Chưa phối hợp với trưởng bản"),
        ),
        "Chưa có kế hoạch phối hợp với chính quyền thôn bản để duy trì sĩ số vào mùa vụ.",
        "Các trường PTDTBT cùng xã có tình trạng tương tự: đề nghị Sở chỉ đạo chung.",
        "Ký kế hoạch phối hợp với trưởng bản, theo dõi sĩ số hằng tuần và báo cáo hằng tháng.",
        "Kế hoạch phối hợp có chữ ký của 6 trưởng bản; báo cáo sĩ số tháng 11, 12.",
        "Tỷ lệ chuyên cần 3 tháng liền đạt trên 96%.",
    ),
    Case(
        "Kết quả khảo sát: phụ huynh chưa hài lòng về thông tin liên lạc",
        "Chỉ số hài lòng của phụ huynh về thông tin liên lạc với nhà trường đạt 58/100, thấp "
        "nhất trong 5 lĩnh vực của đợt khảo sát.",
        "9.1.2",
        "Đã gửi thư ngỏ và số điện thoại giáo viên chủ nhiệm tới toàn bộ phụ huynh.",
        ("Phụ huynh không nhận được thông báo", "Thông báo chỉ dán ở bảng tin trường"),
        (
            ("methods", "Chưa có kênh liên lạc thống nhất"),
            ("environment", "Nhiều gia đình không có điện thoại thông minh"),
        ),
        "Nhà trường chưa xác định kênh liên lạc phù hợp với điều kiện của phụ huynh vùng cao.",
        "Đã đối chiếu kết quả các trường cùng xã: chỉ số tương tự ở 2 trường.",
        "Thiết lập kênh tin nhắn SMS và sổ liên lạc giấy cho gia đình không dùng điện thoại "
        "thông minh.",
        "Danh sách nhận SMS 412 phụ huynh; mẫu sổ liên lạc đã phát.",
        "Khảo sát lại sau một học kỳ: chỉ số thông tin liên lạc đạt 74/100.",
    ),
    Case(
        "Văn bản đến không được vào sổ và chuyển xử lý đúng hạn",
        "3 công văn của Bộ GD&ĐT về kế hoạch năm học được chuyển đến phòng chuyên môn sau 6 ngày "
        "làm việc.",
        "7.5",
        "Đã chuyển ngay các công văn tồn, báo cáo lãnh đạo Sở các việc bị chậm.",
        ("Công văn chuyển chậm", "Văn thư nghỉ phép không có người thay"),
        (
            ("people", "Không có người dự phòng khi văn thư vắng mặt"),
            ("methods", "Quy trình quản lý văn bản đến chưa có bước ủy quyền"),
        ),
        "Quy trình quản lý văn bản đến chưa quy định người thay thế khi văn thư vắng mặt.",
        "Rà soát sổ văn bản đến 6 tháng: có 2 đợt chậm tương tự vào dịp nghỉ lễ.",
        "Bổ sung bước ủy quyền người thay thế vào quy trình văn thư và tập huấn cho 2 cán bộ "
        "dự phòng.",
        "Quyết định phân công người thay thế; danh sách tập huấn có chữ ký.",
        "Theo dõi 3 tháng: 100% văn bản đến được chuyển trong 1 ngày làm việc.",
    ),
    Case(
        "Hồ sơ bồi dưỡng giáo viên dạy học sinh khuyết tật chưa đầy đủ",
        "2 giáo viên dạy lớp có học sinh khuyết tật học hòa nhập chưa có chứng nhận bồi dưỡng "
        "theo yêu cầu ISO 21001 điều 7.2.2.",
        "7.2",
        "Đã phân công giáo viên có chứng nhận hỗ trợ 2 lớp trong thời gian chờ bồi dưỡng.",
        ("Giáo viên chưa được bồi dưỡng", "Kế hoạch bồi dưỡng không xét đến lớp hòa nhập"),
        (("management", "Kế hoạch bồi dưỡng lập trước khi phân công chuyên môn"),),
        "Kế hoạch bồi dưỡng năm học lập trước khi phân công lớp, không xét yêu cầu năng lực với "
        "lớp hòa nhập.",
        "Kiểm tra toàn bộ lớp hòa nhập của trường: không còn trường hợp khác.",
        "Cử 2 giáo viên dự lớp bồi dưỡng giáo dục hòa nhập của Sở; điều chỉnh thời điểm lập kế "
        "hoạch bồi dưỡng.",
        "Chứng nhận hoàn thành bồi dưỡng của 2 giáo viên.",
        "Hồ sơ năng lực của giáo viên lớp hòa nhập đầy đủ khi kiểm tra lại.",
    ),
    Case(
        "Phòng thí nghiệm Hóa học thiếu sổ theo dõi hóa chất",
        "Không có sổ theo dõi nhập – xuất hóa chất; một số lọ hóa chất không có nhãn.",
        "7.1.3",
        "Đã dán nhãn toàn bộ hóa chất, khóa tủ và lập sổ theo dõi tạm thời.",
        (
            "Hóa chất không có nhãn",
            "Không có người phụ trách phòng thí nghiệm",
            "Nhân viên thiết bị nghỉ hưu chưa được thay thế",
        ),
        (
            ("people", "Chưa bố trí nhân viên thiết bị thay thế"),
            ("materials", "Tủ hóa chất cũ, nhãn bong tróc"),
        ),
        "Chưa phân công người phụ trách phòng thí nghiệm sau khi nhân viên thiết bị nghỉ hưu.",
        "Rà soát phòng thực hành Vật lý và Sinh học: cần bổ sung sổ theo dõi thiết bị.",
        "Phân công nhân viên kiêm nhiệm phụ trách thiết bị, ban hành sổ theo dõi hóa chất.",
        "Quyết định phân công; sổ theo dõi hóa chất có số liệu 2 tháng.",
        "Kiểm tra đột xuất: sổ cập nhật đầy đủ, 100% hóa chất có nhãn.",
    ),
    Case(
        "Kế hoạch kiểm tra nội bộ trường học không được thực hiện đúng tiến độ",
        "Chỉ thực hiện 3/8 cuộc kiểm tra nội bộ theo kế hoạch học kỳ I.",
        "9.1.1",
        "Hiệu trưởng đã lập lịch bù cho 5 cuộc kiểm tra còn lại trong tháng 1.",
        ("Kiểm tra không đúng tiến độ", "Ban kiểm tra kiêm nhiệm nhiều việc"),
        (("management", "Kế hoạch không tính đến lịch thi và hội giảng"),),
        "Kế hoạch kiểm tra nội bộ được lập không đối chiếu với lịch hoạt động chuyên môn lớn.",
        "Đã đối chiếu kế hoạch học kỳ II với lịch năm học.",
        "Điều chỉnh kế hoạch kiểm tra học kỳ II tránh các đợt thi và hội giảng.",
        "Kế hoạch học kỳ II đã được phê duyệt, có đối chiếu lịch năm học.",
        "Tiến độ học kỳ II: 7/8 cuộc kiểm tra đúng hạn.",
    ),
    Case(
        "Đề xuất cải tiến: số hóa sổ đăng bộ học sinh",
        "Sổ đăng bộ bằng giấy khó tra cứu; đề xuất số hóa và sao lưu định kỳ.",
        "10.3",
        "Đã chụp và lưu bản sao sổ đăng bộ 5 năm gần nhất.",
        ("Tra cứu sổ đăng bộ mất nhiều thời gian",),
        (("methods", "Sổ đăng bộ chỉ lưu bản giấy"),),
        "Hồ sơ học sinh chỉ lưu bản giấy, chưa có bản số hóa để tra cứu.",
        "Các trường trong xã có nhu cầu tương tự.",
        "Số hóa sổ đăng bộ và nhập dữ liệu vào cơ sở dữ liệu ngành.",
        "Dữ liệu 1.240 học sinh đã được nhập và kiểm tra.",
        "Thời gian tra cứu hồ sơ giảm từ 30 phút xuống dưới 5 phút.",
    ),
    Case(
        "Thiết bị phòng cháy chữa cháy quá hạn kiểm định",
        "6 bình chữa cháy tại khu nội trú quá hạn kiểm định 4 tháng.",
        "7.1.4",
        "Đã mượn bình chữa cháy của trạm y tế xã thay thế tạm thời và gửi bình đi nạp lại.",
        ("Bình quá hạn kiểm định", "Không có danh mục thiết bị cần kiểm định"),
        (
            ("measurement", "Không theo dõi hạn kiểm định"),
            ("management", "Chưa phân công người phụ trách an toàn"),
        ),
        "Nhà trường chưa lập danh mục và lịch kiểm định thiết bị an toàn.",
        "Kiểm tra hệ thống báo cháy và cầu dao điện khu nội trú: đạt.",
        "Lập danh mục thiết bị an toàn với hạn kiểm định và giao người theo dõi.",
        "Danh mục thiết bị và tem kiểm định mới của 6 bình chữa cháy.",
        "Diễn tập phòng cháy: thiết bị hoạt động tốt, danh mục được cập nhật.",
    ),
    Case(
        "Góp ý tại hội nghị xem xét của lãnh đạo: báo cáo chỉ số chậm",
        "Báo cáo kết quả chỉ số của các phòng chuyên môn gửi chậm, không kịp tổng hợp cho hội "
        "nghị xem xét của lãnh đạo.",
        "9.3.2",
        "Thư ký ISO đã tổng hợp bổ sung trước hội nghị 2 ngày.",
        ("Báo cáo chỉ số chậm", "Biểu mẫu báo cáo mỗi phòng một kiểu"),
        (("methods", "Chưa có biểu mẫu thống nhất"), ("management", "Không có hạn nộp rõ ràng")),
        "Chưa có biểu mẫu và hạn nộp thống nhất cho báo cáo chỉ số của các phòng.",
        "Đã kiểm tra báo cáo mục tiêu chất lượng: cùng vấn đề.",
        "Ban hành biểu mẫu báo cáo chỉ số thống nhất và hạn nộp trước hội nghị 15 ngày.",
        "Biểu mẫu BM-ISO-09 đã ban hành trên hệ thống.",
        "Kỳ báo cáo tiếp theo: 8/8 phòng nộp đúng hạn.",
    ),
    Case(
        "Tự đánh giá: minh chứng tiêu chuẩn 2 không được cập nhật",
        "Trong báo cáo tự đánh giá kiểm định chất lượng, 11 minh chứng của tiêu chuẩn 2 hết hiệu "
        "lực hoặc không còn lưu.",
        "7.5",
        "Đã thu thập lại 11 minh chứng và cập nhật mã minh chứng.",
        ("Minh chứng hết hiệu lực", "Không có người theo dõi minh chứng giữa các kỳ"),
        (("management", "Hội đồng tự đánh giá chỉ làm việc khi đến kỳ"),),
        "Chưa phân công cập nhật minh chứng thường xuyên giữa các kỳ tự đánh giá.",
        "Rà soát tiêu chuẩn 1, 3, 4, 5: thêm 3 minh chứng cần cập nhật.",
        "Phân công từng tiêu chuẩn cho một thành viên, cập nhật minh chứng mỗi học kỳ.",
        "Quyết định phân công và danh mục minh chứng cập nhật tháng 12.",
        "Kiểm tra ngẫu nhiên 20 minh chứng: tất cả còn hiệu lực.",
    ),
    Case(
        "Đánh giá chứng nhận: hành động khắc phục trước đây không được đánh giá hiệu lực",
        "Tổ chức chứng nhận phát hiện 4 NC của năm trước đã đóng nhưng không có bằng chứng đánh "
        "giá hiệu lực.",
        "10.2",
        "Đã tổ chức đánh giá hiệu lực bổ sung cho 4 NC.",
        ("Không có bằng chứng hiệu lực", "Sổ theo dõi NC không có cột đánh giá hiệu lực"),
        (("methods", "Biểu mẫu theo dõi NC cũ thiếu bước xác nhận hiệu lực"),),
        "Biểu mẫu theo dõi NC cũ không yêu cầu đánh giá hiệu lực trước khi đóng.",
        "Rà soát toàn bộ NC đã đóng trong năm: 9 NC cần đánh giá hiệu lực bổ sung.",
        "Chuyển toàn bộ việc theo dõi NC lên hệ thống, bắt buộc đánh giá hiệu lực trước khi đóng.",
        "Hệ thống đã vận hành; 100% NC mới có kế hoạch đánh giá hiệu lực.",
        "Đánh giá nội bộ đợt sau: không có NC nào đóng khi chưa đánh giá hiệu lực.",
    ),
    Case(
        "Lịch báo giảng không được ký duyệt đúng hạn",
        "Lịch báo giảng tuần 8–10 của tổ Toán chưa được tổ trưởng ký duyệt.",
        "8.1",
        "Tổ trưởng đã ký duyệt bổ sung và nhắc giáo viên nộp đúng hạn.",
        ("Lịch chưa ký duyệt", "Tổ trưởng đi tập huấn 3 tuần"),
        (("people", "Không có tổ phó được ủy quyền"),),
        "Tổ chuyên môn chưa phân công người ký duyệt thay khi tổ trưởng vắng.",
        "Kiểm tra các tổ chuyên môn khác: không có trường hợp tương tự.",
        "Quy định tổ phó ký duyệt thay khi tổ trưởng vắng trên 3 ngày.",
        "Biên bản sinh hoạt tổ có nội dung phân công.",
        "Lịch báo giảng 6 tuần liên tiếp được ký đúng hạn.",
    ),
    Case(
        "Nhà vệ sinh học sinh khu bán trú xuống cấp",
        "Khảo sát học sinh bán trú: 63% chưa hài lòng về nhà vệ sinh; kiểm tra thực tế thấy 2 "
        "phòng hỏng vòi nước.",
        "7.1.4",
        "Đã sửa vòi nước và bố trí lịch vệ sinh 2 lần mỗi ngày.",
        ("Vòi nước hỏng lâu ngày", "Không có kênh báo hỏng cơ sở vật chất"),
        (
            ("materials", "Thiết bị vệ sinh cũ"),
            ("methods", "Chưa có sổ báo hỏng và lịch bảo trì"),
        ),
        "Nhà trường chưa có lịch bảo trì và kênh báo hỏng cơ sở vật chất khu bán trú.",
        "Kiểm tra nhà bếp và phòng ở bán trú: cần bảo trì quạt điện.",
        "Lập sổ báo hỏng, lịch bảo trì hằng tháng và đề xuất kinh phí cải tạo.",
        "Sổ báo hỏng và biên bản bảo trì tháng 11.",
        "Khảo sát lại: 88% học sinh hài lòng về nhà vệ sinh.",
    ),
]

IMPROVEMENT = CASES[9]
# Where each kind of problem is usually found (index in CASES → sources).
FOUND_BY = {
    0: ("internal_audit", "external_audit", "self_assessment"),
    1: ("process_monitoring", "internal_audit"),
    2: ("complaint", "other"),
    3: ("process_monitoring", "management_review"),
    4: ("survey",),
    5: ("internal_audit", "process_monitoring", "complaint"),
    6: ("external_audit", "internal_audit"),
    7: ("internal_audit", "self_assessment"),
    8: ("management_review", "self_assessment"),
    10: ("external_audit", "self_assessment", "internal_audit"),
    11: ("management_review",),
    12: ("self_assessment",),
    13: ("external_audit",),
    14: ("internal_audit", "process_monitoring"),
    15: ("survey", "complaint"),
}
CASES_BY_SOURCE = {
    source: [CASES[i] for i, sources in FOUND_BY.items() if source in sources]
    for source in Nonconformity.Source.values
}

# Units with demo people: (unit code, head, staff who own actions).
STAFFED = {
    "SL-TH-TH": ("principal", ["teacher", "teacher2"]),
    "SL-CS-TH": ("principal2", ["teacher3"]),
    "SL-GDTH": ("head", ["head"]),
    "SL-GDMN": ("gdmn.head", ["gdmn.head"]),
    "SL-GDTrH": ("gdtrh.head", ["auditor"]),
    "SL-VP": (None, ["vp.staff"]),
}
# How many NCs each staffed unit gets; the rest spread over the other schools.
STAFFED_COUNTS = {
    "SL-TH-TH": 24,
    "SL-CS-TH": 14,
    "SL-GDTH": 12,
    "SL-GDMN": 8,
    "SL-GDTrH": 10,
    "SL-VP": 6,
}
# State of each NC, in proportion: (state, weight).
STATES = [
    ("open", 14),
    ("contained", 9),
    ("analysed", 8),
    ("extent_checked", 6),
    ("in_action", 26),
    ("overdue", 18),
    ("awaiting_verification", 12),
    ("verified", 8),
    ("closed", 40),
    ("reopened", 6),
    ("reopened_closed", 3),
]
# Level of a school → the division head who follows up its actions when it has no demo people.
LEVEL_OWNER = {
    "preschool": "gdmn.head",
    "primary": "head",
    "lower_secondary": "gdtrh.head",
    "upper_secondary": "gdtrh.head",
    "continuing": "vp.staff",
}


def _opener(source, unit_code, users, rng):
    head = STAFFED.get(unit_code, (None, []))[0]
    if source == "internal_audit":
        return users[rng.choice(["auditor", "leadauditor"])]
    if source in ("external_audit", "survey"):
        return users["iso"]
    if source == "management_review":
        return users[rng.choice(["director", "deputy"])]
    if source == "complaint":
        return users[head] if head and rng.random() < 0.5 else users["vp.staff"]
    return users[head] if head else users["iso"]


def _plan(rng, unit_codes):
    """The list of (unit code, state, source, severity, kind, days ago), oldest first."""
    states = [s for s, weight in STATES for _ in range(weight)]
    rng.shuffle(states)
    units = [code for code, n in STAFFED_COUNTS.items() for _ in range(n)]
    others = [c for c in unit_codes if c not in STAFFED]
    while len(units) < TOTAL:
        units.append(others[len(units) % len(others)])
    rng.shuffle(units)
    plan = []
    for i in range(TOTAL):
        state = states[i % len(states)]
        source = SOURCES[i % len(SOURCES)]
        # Older NCs are further along the loop.
        if state in ("closed", "reopened_closed"):
            days_ago = rng.randint(90, 420)
        elif state in ("verified", "awaiting_verification", "overdue", "reopened"):
            days_ago = rng.randint(45, 200)
        elif state == "in_action":
            days_ago = rng.randint(20, 90)
        else:
            days_ago = rng.randint(1, 40)
        severity = "major" if rng.random() < 0.25 else "minor"
        kind = "improvement" if rng.random() < 0.12 else "nonconformity"
        plan.append((units[i], state, source, severity, kind, days_ago))
    plan.sort(key=lambda row: -row[5])
    return plan


def seed(ctx):
    rng = random.Random(7)
    today = timezone.localdate()
    schools = {code for code, unit in ctx.units.items() if unit.kind.is_school}
    unit_codes = sorted(schools | set(STAFFED))
    clauses = {c.number: c for c in Clause.objects.filter(criteria_set__code="iso-9001-2015")}
    categories = {c.code: c for c in CauseCategory.objects.all()}
    used = {}
    created = 0
    for index, (unit_code, state, source, severity, kind, days_ago) in enumerate(
        _plan(rng, unit_codes)
    ):
        unit = ctx.units[unit_code]
        candidates = CASES_BY_SOURCE[source]
        case = IMPROVEMENT if kind == "improvement" else candidates[index % len(candidates)]
        count = used[(unit_code, case.title)] = used.get((unit_code, case.title), 0) + 1
        title = case.title if count == 1 else f"{case.title} (lần {count})"
        if Nonconformity.objects.filter(unit=unit, title=title).exists():
            continue
        people = _People(ctx, unit, unit_code, source, rng)
        nc = services.nonconformity_raise(
            actor=people.opener,
            unit=unit,
            title=title,
            description=case.description,
            source=source,
            severity=severity,
            kind=kind,
            clauses=[clauses[case.clause]] if case.clause in clauses else [],
            reported_on=today - timedelta(days=days_ago),
        )
        _advance(nc, state, case, people, categories, today, days_ago)
        created += 1
    ctx.log(f"  nonconformities: {created} created")


class _People:
    """Who does each step for an NC of ``unit``: never the same person where duties separate."""

    def __init__(self, ctx, unit, unit_code, source, rng):
        users = ctx.users
        self.opener = _opener(source, unit_code, users, rng)
        head_name, staff = STAFFED.get(unit_code, (None, []))
        self.worker = users[head_name] if head_name else users["iso"]
        if staff:
            self.owner = users[rng.choice(staff)]
        else:
            levels = [lv.code for lv in unit.levels.all()] or ["continuing"]
            self.owner = users[LEVEL_OWNER.get(levels[0], "iso")]
        if self.owner.pk == self.opener.pk:
            self.owner = users["iso"] if self.opener.username != "iso" else self.worker
        candidates = ["iso", "director", "deputy", "leadauditor"]
        rng.shuffle(candidates)
        self.verifier = next(
            users[name]
            for name in candidates
            if users[name].pk not in (self.opener.pk, self.owner.pk)
        )
        # Closed by someone who neither opened the NC nor owned its actions.
        closers = [self.worker, users["iso"], users["director"]]
        self.closer = next(u for u in closers if u.pk not in (self.opener.pk, self.owner.pk))


def _advance(nc, state, case, people, categories, today, days_ago):
    """Take ``nc`` through the real services to ``state``, then move the dates back."""
    target = {
        "overdue": "in_action",
        "reopened": "in_action",
        "reopened_closed": "closed",
    }.get(state, state)
    reported = today - timedelta(days=days_ago)
    if target == "open":
        # The head hands the containment to a staff member, due a week after the report.
        services.nonconformity_assign_containment(
            nc, actor=people.worker, assignee=people.owner, due=today
        )
        Nonconformity.objects.filter(pk=nc.pk).update(containment_due=reported + timedelta(days=7))
        return
    services.nonconformity_contain(nc, actor=people.worker, containment=case.containment)
    Nonconformity.objects.filter(pk=nc.pk).update(
        contained_on=min(today, reported + timedelta(days=2))
    )
    if target == "contained":
        return
    services.nonconformity_analyse(
        nc,
        actor=people.worker,
        root_cause=case.root_cause,
        whys=case.whys,
        fishbone=[(categories[code], text) for code, text in case.fishbone],
    )
    if target == "analysed":
        return
    services.nonconformity_check_extent(nc, actor=people.worker, extent_check=case.extent)
    if target == "extent_checked":
        return
    action = services.action_add(
        nc,
        actor=people.worker,
        description=case.action,
        owner=people.owner,
        due=today + timedelta(days=30),
    )
    due = _action_due(state, reported, today, days_ago)
    CorrectiveAction.objects.filter(pk=action.pk).update(due=due)
    if state == "in_action" and nc.sequence % 2 == 0:
        # Every other running action was given more time once, with the reason on record.
        action.refresh_from_db()
        action = services.action_redate(
            action,
            actor=people.worker,
            due=due + timedelta(days=14),
            reason="Chờ kinh phí mua tủ lưu trữ hồ sơ",
        )
        due = action.due
    # The effectiveness check is planned after the last action's due date; where it has been
    # done by now, on a day no later than today (it is never verified before its date).
    if state != "in_action" or days_ago > 30:
        services.nonconformity_plan_verification(
            nc,
            actor=people.worker,
            verifier=people.verifier,
            planned_on=due + timedelta(days=30)
            if state in ("in_action", "overdue")
            else max(due + timedelta(days=1), min(due + timedelta(days=30), today)),
        )
    if state in ("in_action", "overdue"):
        return
    services.action_complete(action, actor=people.owner, evidence=case.evidence)
    CorrectiveAction.objects.filter(pk=action.pk).update(
        completed_at=_at(min(due, today - timedelta(days=1)))
    )
    if target == "awaiting_verification":
        return
    if state.startswith("reopened"):
        nc.refresh_from_db()
        services.nonconformity_verify(
            nc,
            actor=people.verifier,
            result="not_effective",
            notes="Kiểm tra lại sau 1 tháng: vấn đề vẫn lặp lại ở một số lớp.",
        )
        second = services.action_add(
            nc,
            actor=people.worker,
            description="Tập huấn lại và kiểm tra hằng tuần trong 2 tháng.",
            owner=people.owner,
            due=today + timedelta(days=20),
        )
        if state == "reopened":
            CorrectiveAction.objects.filter(pk=second.pk).update(
                due=today + timedelta(days=(days_ago % 25) - 5)
            )
            return
        services.action_complete(second, actor=people.owner, evidence="Biên bản tập huấn lại.")
    nc.refresh_from_db()
    services.nonconformity_verify(
        nc, actor=people.verifier, result="effective", notes=case.verification
    )
    Verification.objects.filter(nonconformity=nc).update(
        verified_on=min(today, due + timedelta(days=30))
    )
    if target == "verified":
        return
    nc.refresh_from_db()
    services.nonconformity_close(nc, actor=people.closer, password=DEMO_PASSWORD)
    Nonconformity.objects.filter(pk=nc.pk).update(
        closed_at=_at(min(today - timedelta(days=1), due + timedelta(days=35)))
    )


def _action_due(state, reported, today, days_ago):
    if state == "overdue":
        # Overdue by a few days, past the head's escalation (7) or the director's (30).
        return today - timedelta(days=[2, 5, 9, 15, 33, 45][days_ago % 6])
    if state == "in_action":
        return today + timedelta(days=3 + days_ago % 30)
    return min(reported + timedelta(days=30), today - timedelta(days=2))


def _at(day):
    return timezone.make_aware(datetime.combine(day, time(9, 0)))
