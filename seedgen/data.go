package seedgen

// The vocabularies generated subscribers are drawn from. Names and places
// are common Korean ones; no list is a real person's data. E-mail domains
// are under the reserved .example top-level domain (RFC 2606) so that no
// generated address can reach a real mailbox.

// weighted is a value with its relative frequency.
type weighted[T any] struct {
	v T
	w int
}

// pick draws from a weighted list by a number in [0, total).
func pick[T any](list []weighted[T], n int) T {
	for _, e := range list {
		if n < e.w {
			return e.v
		}
		n -= e.w
	}
	return list[len(list)-1].v
}

func total[T any](list []weighted[T]) int {
	t := 0
	for _, e := range list {
		t += e.w
	}
	return t
}

// romanized is a Hangul name part with the romanization e-mail addresses use.
type romanized struct{ ko, en string }

// surnames are weighted by their share of the population, per mille
// (Statistics Korea, 2015 census, rounded).
var surnames = []weighted[romanized]{
	{romanized{"김", "kim"}, 215}, {romanized{"이", "lee"}, 147}, {romanized{"박", "park"}, 84},
	{romanized{"최", "choi"}, 47}, {romanized{"정", "jung"}, 43}, {romanized{"강", "kang"}, 23},
	{romanized{"조", "cho"}, 21}, {romanized{"윤", "yoon"}, 21}, {romanized{"장", "jang"}, 20},
	{romanized{"임", "lim"}, 17}, {romanized{"한", "han"}, 15}, {romanized{"오", "oh"}, 15},
	{romanized{"서", "seo"}, 15}, {romanized{"신", "shin"}, 14}, {romanized{"권", "kwon"}, 14},
	{romanized{"황", "hwang"}, 14}, {romanized{"안", "ahn"}, 13}, {romanized{"송", "song"}, 13},
	{romanized{"전", "jeon"}, 11}, {romanized{"홍", "hong"}, 11}, {romanized{"유", "yoo"}, 10},
	{romanized{"고", "ko"}, 9}, {romanized{"문", "moon"}, 9}, {romanized{"양", "yang"}, 9},
	{romanized{"손", "son"}, 9}, {romanized{"배", "bae"}, 8}, {romanized{"백", "baek"}, 7},
	{romanized{"허", "heo"}, 6}, {romanized{"남", "nam"}, 5}, {romanized{"심", "sim"}, 5},
	{romanized{"노", "noh"}, 4}, {romanized{"하", "ha"}, 4}, {romanized{"곽", "kwak"}, 4},
	{romanized{"성", "sung"}, 4}, {romanized{"차", "cha"}, 4}, {romanized{"주", "joo"}, 4},
	{romanized{"우", "woo"}, 4}, {romanized{"구", "koo"}, 4}, {romanized{"민", "min"}, 3},
	{romanized{"진", "jin"}, 3}, {romanized{"나", "na"}, 3}, {romanized{"지", "ji"}, 3},
	{romanized{"엄", "eom"}, 3}, {romanized{"채", "chae"}, 3}, {romanized{"원", "won"}, 3},
	{romanized{"천", "cheon"}, 2}, {romanized{"방", "bang"}, 2}, {romanized{"공", "kong"}, 2},
	{romanized{"현", "hyun"}, 2}, {romanized{"함", "ham"}, 2}, {romanized{"변", "byun"}, 2},
	{romanized{"남궁", "namgoong"}, 1}, {romanized{"선우", "sunwoo"}, 1}, {romanized{"황보", "hwangbo"}, 1},
}

// givenNames mix the popular names of several generations, so that a
// 70-year-old and a 10-year-old are both plausible.
var givenNames = []romanized{
	{"민준", "minjun"}, {"서준", "seojun"}, {"도윤", "doyun"}, {"예준", "yejun"}, {"시우", "siwoo"},
	{"하준", "hajun"}, {"주원", "juwon"}, {"지호", "jiho"}, {"지후", "jihu"}, {"준우", "junwoo"},
	{"서연", "seoyeon"}, {"서윤", "seoyun"}, {"지우", "jiwoo"}, {"서현", "seohyun"}, {"민서", "minseo"},
	{"하은", "haeun"}, {"하윤", "hayun"}, {"윤서", "yunseo"}, {"지유", "jiyu"}, {"지민", "jimin"},
	{"영수", "youngsu"}, {"영희", "younghee"}, {"정호", "jungho"}, {"미경", "mikyung"}, {"현우", "hyunwoo"},
	{"수진", "sujin"}, {"지현", "jihyun"}, {"성민", "sungmin"}, {"은지", "eunji"}, {"동현", "donghyun"},
	{"상철", "sangcheol"}, {"경희", "kyunghee"}, {"혜진", "hyejin"}, {"재원", "jaewon"}, {"승현", "seunghyun"},
	{"유진", "yujin"}, {"민지", "minji"}, {"준호", "junho"}, {"은영", "eunyoung"}, {"태호", "taeho"},
	{"다은", "daeun"}, {"건우", "gunwoo"}, {"예린", "yerin"}, {"소윤", "soyun"}, {"채원", "chaewon"},
	{"우진", "woojin"}, {"은서", "eunseo"}, {"종민", "jongmin"}, {"미숙", "misook"}, {"순자", "sunja"},
	{"영호", "youngho"}, {"명숙", "myungsook"}, {"광수", "kwangsu"}, {"정숙", "jungsook"}, {"병철", "byungcheol"},
	{"지훈", "jihoon"}, {"수빈", "subin"}, {"현정", "hyunjung"}, {"성호", "sungho"}, {"보람", "boram"},
}

// foreignNames are written as in a passport's machine-readable zone, the
// way registration forms take them.
var foreignNames = []string{
	"NGUYEN VAN AN", "TRAN THI MAI", "LE VAN HUNG", "PHAM THI LAN", "WANG WEI", "LI NA", "ZHANG MIN",
	"LIU YANG", "CHEN JING", "JOHN SMITH", "MARIA GARCIA", "DAVID MILLER", "EMILY JOHNSON",
	"AZIZ KARIMOV", "DILNOZA YUSUPOVA", "SITI RAHMAWATI", "BUDI SANTOSO", "JUAN DELA CRUZ",
	"MARIA SANTOS", "SOMCHAI SRISAI", "BATBAYAR GANBOLD", "ANNA IVANOVA", "SERGEI PETROV",
	"TANAKA HIROSHI", "SATO YUKI", "RAJESH KUMAR", "PRIYA SHARMA",
}

// domains are the mail domains of generated addresses.
var domains = []string{"naver.example", "gmail.example", "daum.example", "kakao.example", "hanmail.example", "nate.example", "corp.example"}

// districts are (시/도, 시/군/구) pairs with a road of each, weighted
// roughly by population.
var districts = []weighted[[3]string]{
	{[3]string{"서울특별시", "강남구", "테헤란로"}, 6}, {[3]string{"서울특별시", "서초구", "서초대로"}, 4},
	{[3]string{"서울특별시", "송파구", "올림픽로"}, 5}, {[3]string{"서울특별시", "마포구", "월드컵북로"}, 3},
	{[3]string{"서울특별시", "종로구", "세종대로"}, 2}, {[3]string{"서울특별시", "중구", "을지로"}, 2},
	{[3]string{"서울특별시", "영등포구", "여의대로"}, 3}, {[3]string{"서울특별시", "관악구", "관악로"}, 4},
	{[3]string{"서울특별시", "노원구", "동일로"}, 4}, {[3]string{"서울특별시", "강서구", "공항대로"}, 4},
	{[3]string{"부산광역시", "해운대구", "센텀중앙로"}, 4}, {[3]string{"부산광역시", "부산진구", "중앙대로"}, 3},
	{[3]string{"부산광역시", "수영구", "광안해변로"}, 2}, {[3]string{"부산광역시", "사하구", "낙동대로"}, 2},
	{[3]string{"대구광역시", "수성구", "달구벌대로"}, 3}, {[3]string{"대구광역시", "중구", "동성로"}, 2},
	{[3]string{"인천광역시", "연수구", "컨벤시아대로"}, 3}, {[3]string{"인천광역시", "남동구", "인주대로"}, 3},
	{[3]string{"광주광역시", "서구", "상무대로"}, 2}, {[3]string{"광주광역시", "북구", "설죽로"}, 2},
	{[3]string{"대전광역시", "유성구", "대학로"}, 2}, {[3]string{"대전광역시", "서구", "둔산로"}, 2},
	{[3]string{"울산광역시", "남구", "삼산로"}, 2}, {[3]string{"세종특별자치시", "한누리대로", ""}, 1},
	{[3]string{"경기도", "성남시 분당구", "판교역로"}, 5}, {[3]string{"경기도", "수원시 영통구", "광교중앙로"}, 5},
	{[3]string{"경기도", "고양시 일산동구", "중앙로"}, 4}, {[3]string{"경기도", "용인시 수지구", "포은대로"}, 4},
	{[3]string{"경기도", "화성시", "동탄대로"}, 4}, {[3]string{"강원특별자치도", "춘천시", "중앙로"}, 2},
	{[3]string{"충청북도", "청주시 상당구", "상당로"}, 2}, {[3]string{"충청남도", "천안시 서북구", "불당대로"}, 2},
	{[3]string{"전북특별자치도", "전주시 완산구", "효자로"}, 2}, {[3]string{"전라남도", "목포시", "영산로"}, 1},
	{[3]string{"경상북도", "포항시 남구", "포스코대로"}, 2}, {[3]string{"경상남도", "창원시 성산구", "중앙대로"}, 3},
	{[3]string{"제주특별자치도", "제주시", "연삼로"}, 1},
}

// accountFormats are the digit groups of Korean bank account numbers and
// of card numbers.
var accountFormats = [][]int{{3, 3, 6}, {6, 2, 6}, {4, 3, 6}, {3, 4, 4, 2}, {3, 2, 6}, {4, 4, 4, 4}}

var payerRelations = []string{"배우자", "부", "모", "자녀", "형제자매", "법인 담당자", "기타 친족"}

var guardianRelations = []weighted[string]{{"모", 55}, {"부", 42}, {"법정후견인", 3}}

var plans = []string{"기업형메시지 라이트", "기업형메시지 스탠다드", "기업형메시지 프리미엄", "기업형메시지 대량발송"}

var payMethods = []string{"자동이체", "신용카드", "가상계좌", "지로"}

var banks = []string{"국민은행", "신한은행", "우리은행", "하나은행", "농협은행", "기업은행", "카카오뱅크"}

// messages are what an enterprise sends through the service: notices,
// verification codes, delivery and appointment texts.
var messages = []string{
	"[Web발신] 인증번호 [%06d]를 입력해 주세요. 타인에게 절대 알려주지 마세요.",
	"[크로샷] 고객님의 주문이 발송되었습니다. 운송장번호 %d",
	"[알림] %d월 정기 점검 안내: 새벽 02:00~04:00 서비스가 일시 중단됩니다.",
	"[예약안내] 내일 오후 %d시 진료 예약이 있습니다. 변경은 회신 바랍니다.",
	"[결제완료] %d원 결제가 완료되었습니다. 이용해 주셔서 감사합니다.",
	"[배송] 오늘 %d시~%d시 사이 방문 예정입니다.",
	"[이벤트] 회원님께 %d%% 할인 쿠폰이 발급되었습니다.",
	"[공지] 개인정보 처리방침 개정 안내 (시행일 %d일)",
}

var usages = []string{
	"문자 발송 %d건 (단문 %d건, 장문 %d건), 이용 콘텐츠: 단체문자",
	"알림톡 발송 %d건, 실패 %d건 재발송 %d건",
	"대량 발송 예약 %d건, 발송 시간대 %d시, 수신거부 처리 %d건",
	"발신번호 사전등록 변경 %d건, API 호출 %d회, 오류 %d회",
}

var complaints = []string{
	"요금 이중청구 이의 제기, 처리 완료 (환불 %d원)",
	"발송 지연 불만 접수, 원인 안내 후 종결 (지연 %d분)",
	"스팸 오분류 이의 제기, 발신번호 재심사 후 해제 (%d건)",
}

var ads = []string{
	"요금할인제도 안내 문자 발송 (SMS, 캠페인 %d)",
	"신규 부가서비스 안내 이메일 발송 (캠페인 %d)",
	"고객 혜택 이벤트 앱 푸시 발송 (캠페인 %d)",
}

var numberInfo = []string{"번호안내 등록: 상호 표시", "번호안내 등록: 대표번호 안내", "114 번호안내 등재 (업종: 도소매)", "발신번호 표시 부가서비스 가입"}

var certificates = []string{"복지할인증명 제%d-%04d호", "국가유공자증명 제%02d-%06d호", "장애인 복지할인 확인서 제%d-%04d호", "기초생활수급자 증명 제%d-%04d호"}

// ipPrefixes are first octets of address blocks assigned to Korean ISPs.
var ipPrefixes = []int{1, 14, 27, 39, 49, 58, 59, 61, 106, 110, 112, 114, 115, 118, 121, 122, 123, 125, 175, 180, 182, 183, 210, 211, 218, 220, 221, 222}

var areaCodes = []string{"02", "031", "032", "042", "051", "053", "062", "064", "070"}
