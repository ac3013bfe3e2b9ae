// Package seedgen generates realistic, deterministic subscribers for load
// tests and benchmarks, as the import lines the operator's systems send
// (feed.ImportLine): profile items of every group of the notice (applicant,
// fee payer, legal guardian of a child under 14, optional items), a mix of
// active, suspended and terminated subscribers with unpaid or overpaid fees
// for some, and about a hundred records of every kind over each
// subscriber's life, message content mostly from the last four weeks.
//
// Subscriber i depends only on the options and i, so subscribers can be
// generated one at a time, in any order and in parallel, with memory flat
// in their number; the same seed and reference time always give the same
// lines.
//
// Consents, requests and holds are not generated yet. They extend the
// generator without changing what it yields today: an extension draws from
// Generator.Rand(name, i), a stream independent of the one the lines come
// from, and reads what it needs of the subscriber from Subscriber (status,
// dates, minor and guardian, optional items held).
package seedgen

import (
	"fmt"
	"hash/fnv"
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xroshot/portal/feed"
	"github.com/xroshot/portal/models"
)

// DefaultRecords is about how many records a subscriber gets.
const DefaultRecords = 100

// Options say what to generate.
type Options struct {
	// Seed chooses the data set and names it in subscriber ids.
	Seed uint64
	// Now is the moment the data is generated as of: every date lies
	// before it. Zero means the start of the current day (UTC), so a seed
	// gives the same lines all day.
	Now time.Time
	// Records is about how many records each subscriber gets (±20 %);
	// zero means DefaultRecords.
	Records int
}

// Generator yields subscribers. It is immutable and safe for concurrent use.
type Generator struct {
	seed    uint64
	now     time.Time
	records int
}

// New returns a generator for the options.
func New(o Options) *Generator {
	now := o.Now
	if now.IsZero() {
		now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	records := o.Records
	if records <= 0 {
		records = DefaultRecords
	}
	return &Generator{seed: o.Seed, now: now.UTC().Truncate(time.Second), records: records}
}

// Now is the moment the data is generated as of.
func (g *Generator) Now() time.Time { return g.now }

// SubscriberID is the id of subscriber i: the seed and i, zero-padded so
// that ids sort in the order they were generated.
func (g *Generator) SubscriberID(i int) string { return fmt.Sprintf("s%d-%07d", g.seed, i) }

// GuardianID is the subject id of the guardian of subscriber i, when i is a
// minor.
func (g *Generator) GuardianID(i int) string { return fmt.Sprintf("g%d-%07d", g.seed, i) }

// Subscriber is one generated subscriber: the import line, and what an
// extension generating more of their life needs to stay consistent with it.
type Subscriber struct {
	Index int
	Line  feed.ImportLine
	// Minor is under 14 at Now, with a guardian (Line.GuardianID) and the
	// guardian.* items.
	Minor bool
	// Foreign is a registered alien, with an alien registration number.
	Foreign bool
	// Payer is set when someone else pays the fees (the payer.* items).
	Payer bool
	// SuspendedAt is when a SUSPENDED subscriber was suspended.
	SuspendedAt *time.Time
	// Optional lists the optional categories held: their consent topics
	// were granted no later than the item's collection.
	Optional []string
}

// Generate returns subscriber i.
func (g *Generator) Generate(i int) Subscriber {
	b := &builder{g: g, r: rand.New(rand.NewPCG(g.seed, uint64(i))), id: g.SubscriberID(i)}
	return b.build(i)
}

// Line is subscriber i's import line.
func (g *Generator) Line(i int) feed.ImportLine { return g.Generate(i).Line }

// Lines yields the import lines of subscribers 0 to n-1 in order, one at a
// time.
func (g *Generator) Lines(n int) iter.Seq2[int, feed.ImportLine] {
	return func(yield func(int, feed.ImportLine) bool) {
		for i := range n {
			if !yield(i, g.Line(i)) {
				return
			}
		}
	}
}

// Rand returns the random stream of an extension (say "consents") for
// subscriber i. It is independent of the stream the lines are drawn from, so
// adding an extension leaves every line as it was.
func (g *Generator) Rand(extension string, i int) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(extension))
	return rand.New(rand.NewPCG(g.seed^h.Sum64(), uint64(i)))
}

const day = 24 * time.Hour

// builder generates one subscriber.
type builder struct {
	g   *Generator
	r   *rand.Rand
	id  string
	sub Subscriber
	// signed and end bound the subscriber's activity: sign-up, and
	// termination or (just before) now.
	signed, end time.Time
	// source is how the sign-up form came in, for every item on it.
	source string
	items  []feed.ImportItem
	recs   []feed.ImportRec
	seq    int
}

func (b *builder) build(i int) Subscriber {
	r, now := b.r, b.g.now
	b.sub.Index = i
	l := &b.sub.Line
	l.ID = b.id

	b.sub.Foreign = r.IntN(100) < 4
	b.sub.Minor = !b.sub.Foreign && r.IntN(100) < 3
	age := 19 + r.IntN(34) + r.IntN(34) // 19 to 85, most around 50
	if b.sub.Minor {
		age = 7 + r.IntN(7)
	}
	birth := now.Truncate(day).AddDate(-age, 0, -r.IntN(365))
	l.BirthDate = new(birth.Format(time.DateOnly))

	earliest := now.AddDate(-12, 0, 0)
	switch {
	case b.sub.Minor:
		earliest = later(earliest, birth.AddDate(6, 0, 0))
	case b.sub.Foreign:
		earliest = later(later(earliest, now.AddDate(-6, 0, 0)), birth.AddDate(16, 0, 0))
	default:
		earliest = later(earliest, birth.AddDate(16, 0, 0))
	}
	// Sign-ups on working hours in Korea: 09:00 to 19:00 KST.
	b.signed = b.between(earliest, now.Add(-2*day)).Truncate(day).Add(time.Duration(r.IntN(10*3600)) * time.Second)
	l.SignedUpAt = b.signed
	b.end = now.Add(-time.Minute)

	var unpaidSince *time.Time
	switch x := r.IntN(100); {
	case x < 80:
		l.Status = string(models.StatusActive)
	case x < 85:
		l.Status = string(models.StatusSuspended)
		at := b.between(later(b.signed, now.AddDate(-1, 0, 0)), now.Add(-day))
		b.sub.SuspendedAt = &at
		if r.IntN(100) < 40 {
			since := later(b.signed, at.AddDate(0, -2, 0))
			unpaidSince = &since
			l.BillingState, l.BillingSince = new(string(models.BillingUnpaid)), &since
		}
	default:
		l.Status = string(models.StatusTerminated)
		at := b.between(b.signed.Add(30*day), now.Add(-time.Hour))
		at = earlier(later(at, b.signed), now.Add(-time.Hour))
		l.TerminatedAt, b.end = &at, at
		switch y := r.IntN(100); {
		case y < 15:
			since := later(b.signed, b.between(at.AddDate(0, -3, 0), at))
			unpaidSince = &since
			l.BillingState, l.BillingSince = new(string(models.BillingUnpaid)), &since
		case y < 20:
			l.BillingState, l.BillingSince = new(string(models.BillingOverpaid)), &at
		}
	}

	b.profile(birth)
	l.Items = b.items
	b.records(unpaidSince)
	slices.SortStableFunc(b.recs, func(x, y feed.ImportRec) int { return x.OccurredAt.Compare(y.OccurredAt) })
	l.Records = b.recs
	return b.sub
}

// profile adds the items of the notice's §2(1): the applicant's, a payer's
// and a guardian's where there is one, and optional items for some.
func (b *builder) profile(birth time.Time) {
	r, l := b.r, &b.sub.Line
	name, mailbox := b.person(b.sub.Foreign)
	address := b.address()
	b.item("applicant.name", name, b.signed)
	b.item("applicant.birth_date", *l.BirthDate, b.signed)
	if b.sub.Foreign {
		b.item("applicant.alien_registration_number", b.alienNumber(birth), b.signed)
		if r.IntN(100) < 60 {
			b.item("applicant.passport_number", b.passport(false), b.signed)
		}
	} else if r.IntN(100) < 5 {
		b.item("applicant.passport_number", b.passport(true), b.signed)
	}
	b.item("applicant.billing_address", address, b.changed(20))
	b.item("applicant.phone", b.mobile(), b.changed(15))
	if !b.sub.Minor && r.IntN(100) < 92 || b.sub.Minor && r.IntN(100) < 50 {
		b.item("applicant.email", mailbox+"@"+domains[r.IntN(len(domains))], b.changed(20))
	}

	var guardianName, guardianPhone, relation string
	if b.sub.Minor {
		l.GuardianID = new(b.g.GuardianID(b.sub.Index))
		guardianName, _ = b.person(false)
		guardianPhone = b.mobile()
		relation = pick(guardianRelations, r.IntN(total(guardianRelations)))
		gBirth := b.g.now.Truncate(day).AddDate(-(30 + r.IntN(26)), 0, -r.IntN(365))
		b.item("guardian.name", guardianName, b.signed)
		b.item("guardian.birth_date", gBirth.Format(time.DateOnly), b.signed)
		b.item("guardian.address", address, b.signed)
		b.item("guardian.phone", guardianPhone, b.signed)
		b.item("guardian.relationship", relation, b.signed)
	}

	switch {
	case b.sub.Minor:
		// The guardian pays for the child.
		b.sub.Payer = true
		b.item("payer.name", guardianName, b.signed)
		b.item("payer.relationship", relation, b.signed)
		b.item("payer.billing_address", address, b.signed)
		b.item("payer.payment_account", b.account(), b.signed)
		b.item("payer.phone", guardianPhone, b.signed)
	case r.IntN(100) < 12:
		b.sub.Payer = true
		payerName, _ := b.person(false)
		b.item("payer.name", payerName, b.signed)
		if r.IntN(100) < 90 {
			b.item("payer.birth_date", b.g.now.Truncate(day).AddDate(-(25+r.IntN(50)), 0, -r.IntN(365)).Format(time.DateOnly), b.signed)
		} else {
			b.item("payer.passport_number", b.passport(true), b.signed)
		}
		b.item("payer.billing_address", b.address(), b.signed)
		b.item("payer.relationship", payerRelations[r.IntN(len(payerRelations))], b.signed)
		b.item("payer.payment_account", b.account(), b.changed(10))
		b.item("payer.phone", b.mobile(), b.signed)
	default:
		if r.IntN(100) < 97 {
			b.item("applicant.payment_account", b.account(), b.changed(15))
		}
	}

	if r.IntN(100) < 8 {
		b.item("optional.number_info_service", numberInfo[r.IntN(len(numberInfo))], b.changed(50))
		b.sub.Optional = append(b.sub.Optional, "optional.number_info_service")
	}
	if r.IntN(100) < 5 {
		f := certificates[r.IntN(len(certificates))]
		b.item("optional.discount_certificate", fmt.Sprintf(f, 2015+r.IntN(10), r.IntN(10000)), b.changed(50))
		b.sub.Optional = append(b.sub.Optional, "optional.discount_certificate")
	}
}

// sources of items collected at sign-up, and of later changes.
var (
	signUpSources = []weighted[string]{{"APPLICATION_FORM", 55}, {"WEBSITE", 25}, {"APP", 12}, {"AGENT_DESK", 4}, {"PHONE", 4}}
	changeSources = []string{"WEBSITE", "APP", "AGENT_DESK", "PHONE", "CONSULTATION"}
)

func (b *builder) item(category, value string, at time.Time) {
	if b.source == "" {
		b.source = pick(signUpSources, b.r.IntN(total(signUpSources)))
	}
	src := b.source
	if at.After(b.signed) {
		src = changeSources[b.r.IntN(len(changeSources))]
	}
	b.items = append(b.items, feed.ImportItem{Category: category, Value: value, CollectedAt: &at, Source: src})
}

// changed is when an item was collected: at sign-up, or with the given
// chance in percent later, when the subscriber changed it.
func (b *builder) changed(percent int) time.Time {
	if b.r.IntN(100) < percent {
		return b.between(b.signed, b.end)
	}
	return b.signed
}

// person returns a name and a mailbox name made from it.
func (b *builder) person(foreign bool) (name, mailbox string) {
	r := b.r
	if foreign {
		name = foreignNames[r.IntN(len(foreignNames))]
		return name, strings.ReplaceAll(strings.ToLower(name), " ", ".") + strconv.Itoa(r.IntN(100))
	}
	sur := pick(surnames, r.IntN(total(surnames)))
	given := givenNames[r.IntN(len(givenNames))]
	switch r.IntN(4) {
	case 0:
		mailbox = given.en + "." + sur.en
	case 1:
		mailbox = sur.en + given.en + strconv.Itoa(r.IntN(100))
	case 2:
		mailbox = given.en + strconv.Itoa(60+r.IntN(45))
	default:
		mailbox = sur.en + "_" + given.en[:1] + strconv.Itoa(r.IntN(1000))
	}
	return sur.ko + given.ko, mailbox
}

// address is a road-name address, with a flat or floor for most.
func (b *builder) address() string {
	r := b.r
	d := pick(districts, r.IntN(total(districts)))
	var sb strings.Builder
	sb.WriteString(d[0])
	sb.WriteByte(' ')
	sb.WriteString(d[1])
	if d[2] != "" {
		sb.WriteByte(' ')
		sb.WriteString(d[2])
	}
	fmt.Fprintf(&sb, " %d", 1+r.IntN(300))
	switch x := r.IntN(10); {
	case x < 5:
		fmt.Fprintf(&sb, " %d동 %d호", 101+r.IntN(20), (1+r.IntN(25))*100+1+r.IntN(6))
	case x < 8:
		fmt.Fprintf(&sb, " %d층", 1+r.IntN(20))
	}
	return sb.String()
}

// mobile is a Korean mobile number, 010-XXXX-XXXX.
func (b *builder) mobile() string {
	return fmt.Sprintf("010-%04d-%04d", 2000+b.r.IntN(8000), b.r.IntN(10000))
}

// landline is a Korean area or internet-telephony number.
func (b *builder) landline() string {
	area := areaCodes[b.r.IntN(len(areaCodes))]
	if area == "070" {
		return fmt.Sprintf("070-%04d-%04d", 2000+b.r.IntN(8000), b.r.IntN(10000))
	}
	return fmt.Sprintf("%s-%d-%04d", area, 200+b.r.IntN(800), b.r.IntN(10000))
}

// account is a bank account or card number in its usual grouping.
func (b *builder) account() string {
	groups := accountFormats[b.r.IntN(len(accountFormats))]
	var sb strings.Builder
	for gi, n := range groups {
		if gi > 0 {
			sb.WriteByte('-')
		}
		for range n {
			sb.WriteByte(byte('0' + b.r.IntN(10)))
		}
	}
	return sb.String()
}

// passport is a Korean passport number (M and eight digits) or a foreign
// one (a letter and eight digits, or two letters and seven).
func (b *builder) passport(korean bool) string {
	r := b.r
	if korean {
		return fmt.Sprintf("M%08d", r.IntN(100_000_000))
	}
	if r.IntN(2) == 0 {
		return fmt.Sprintf("%c%08d", 'A'+r.IntN(26), r.IntN(100_000_000))
	}
	return fmt.Sprintf("%c%c%07d", 'A'+r.IntN(26), 'A'+r.IntN(26), r.IntN(10_000_000))
}

// alienNumber is an alien registration number: the birth date (YYMMDD), a
// digit for sex and century (5–8 for foreigners) and six more digits.
func (b *builder) alienNumber(birth time.Time) string {
	sex := 5 + b.r.IntN(2)
	if birth.Year() >= 2000 {
		sex += 2
	}
	return fmt.Sprintf("%s%d%06d", birth.Format("060102"), sex, b.r.IntN(1_000_000))
}

// between is a time in [from, to), at whole seconds; from when to is not
// after it.
func (b *builder) between(from, to time.Time) time.Time {
	span := int64(to.Sub(from) / time.Second)
	if span <= 0 {
		return from.Truncate(time.Second)
	}
	return from.Truncate(time.Second).Add(time.Duration(b.r.Int64N(span)) * time.Second)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// won formats an amount of won with thousands separators.
func won(n int) string {
	s := strconv.Itoa(n)
	var sb strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

// kindTags shorten record kinds in external ids.
var kindTags = map[string]string{
	"USAGE": "US", "ACCESS_LOG": "AL", "PAYMENT": "PY", "BILLING": "BL", "SUSPENSION": "SP",
	"CALL_DETAIL": "CD", "MESSAGE_CONTENT": "MC", "ADVERTISING": "AD", "CONTRACT": "CT",
	"COMPLAINT": "CP", "CREDIT": "CR",
}

func (b *builder) add(kind string, at time.Time, summary string) {
	b.seq++
	at = earlier(later(at, b.signed), b.end)
	ext := make([]byte, 0, len(b.id)+10)
	ext = append(ext, b.id...)
	ext = append(ext, '-')
	ext = append(ext, kindTags[kind]...)
	ext = strconv.AppendInt(ext, int64(b.seq), 10)
	b.recs = append(b.recs, feed.ImportRec{Kind: kind, OccurredAt: at, ExternalID: string(ext), Summary: summary})
}

// records adds about Options.Records records over the subscriber's life:
// the contract and its changes, credit checks, monthly bills and payments,
// suspensions, complaints, advertising, and for the rest usage, access
// logs, calls and messages, most messages from the last four weeks.
func (b *builder) records(unpaidSince *time.Time) {
	r, l := b.r, &b.sub.Line
	n := b.g.records
	target := n - n/5 + r.IntN(2*(n/5)+1)
	plan := plans[r.IntN(len(plans))]
	b.add("CONTRACT", b.signed, "서비스 이용계약 체결 ("+plan+")")
	if r.IntN(100) < 60 {
		b.add("CREDIT", b.signed.Add(time.Duration(1+r.IntN(30))*time.Minute), "가입 시 신용정보 조회 (본인확인, 연체 여부)")
	}
	if r.IntN(100) < 25 {
		next := plans[r.IntN(len(plans))]
		if next != plan {
			b.add("CONTRACT", b.between(b.signed, b.end), "요금제 변경 계약 ("+plan+" → "+next+")")
			plan = next
		}
	}
	if l.TerminatedAt != nil {
		b.add("CONTRACT", *l.TerminatedAt, "서비스 해지 신청 접수 및 계약 해지")
	}
	switch {
	case b.sub.SuspendedAt != nil && unpaidSince != nil:
		b.add("SUSPENSION", *b.sub.SuspendedAt, "이용정지: 요금 2개월 이상 미납")
	case b.sub.SuspendedAt != nil:
		b.add("SUSPENSION", *b.sub.SuspendedAt, "이용정지: 고객 요청 일시정지")
	case r.IntN(100) < 4:
		b.add("SUSPENSION", b.between(b.signed, b.end), fmt.Sprintf("일시정지 신청 및 해제 (%d일)", 7+r.IntN(60)))
	}
	if unpaidSince != nil {
		b.add("CREDIT", b.between(*unpaidSince, b.end), "미납 요금 채권 추심 위탁 통지")
	}
	if r.IntN(100) < 10 {
		b.add("COMPLAINT", b.between(b.signed, b.end), fmt.Sprintf(complaints[r.IntN(len(complaints))], (1+r.IntN(30))*1100))
	}
	if r.IntN(100) < 60 {
		for range 1 + r.IntN(4) {
			b.add("ADVERTISING", b.between(b.signed, b.end), fmt.Sprintf(ads[r.IntN(len(ads))], 2000+r.IntN(8000)))
		}
	}
	b.bills(target-len(b.recs), plan, unpaidSince)
	for range max(target-len(b.recs), 0) {
		b.activity()
	}
}

// bills adds monthly bills, each with its payment 20 days later, for the
// last months of the subscription: about a quarter of the remaining
// records. Bills after fees went unpaid stay unpaid.
func (b *builder) bills(remaining int, plan string, unpaidSince *time.Time) {
	r := b.r
	base := 11000 * (1 + r.IntN(5))
	method := payMethods[r.IntN(len(payMethods))]
	bank := banks[r.IntN(len(banks))]
	month := time.Date(b.end.Year(), b.end.Month(), 1, 0, 0, 0, 0, time.UTC)
	for k := range max(remaining/8, 1) {
		bill := month.AddDate(0, -k, 0).Add(time.Duration(r.IntN(4*3600)) * time.Second)
		if bill.Before(b.signed) {
			break
		}
		if bill.After(b.end) {
			continue
		}
		fee := base + 110*r.IntN(200)
		discount := 0
		if len(b.sub.Optional) > 0 && slices.Contains(b.sub.Optional, "optional.discount_certificate") {
			discount = fee / 10
		}
		vat := (fee - discount) / 10
		paid := bill.AddDate(0, 0, 20).Add(time.Duration(r.IntN(8*3600)) * time.Second)
		unpaid := unpaidSince != nil && !bill.Before(*unpaidSince) || paid.After(b.end)
		paidText, paidOn := won(fee-discount+vat), paid.Format(time.DateOnly)
		if unpaid {
			paidText, paidOn = "0", "미수납"
		}
		b.add("BILLING", bill, fmt.Sprintf("%d년 %d월분 청구 %s원, 부가세 %s원, 수납 %s원, 청구일 %s, 수납일 %s, 납부방법 %s, 이용서비스 %s, 감액 %s원",
			bill.Year(), int(bill.Month()), won(fee-discount), won(vat), paidText, bill.Format(time.DateOnly), paidOn, method, plan, won(discount)))
		if !unpaid {
			b.add("PAYMENT", paid, fmt.Sprintf("%s %s원 수납 (%s)", method, won(fee-discount+vat), bank))
		}
	}
}

// activity adds one record of everyday use.
func (b *builder) activity() {
	r := b.r
	switch x := r.IntN(100); {
	case x < 30:
		var text string
		switch u := r.IntN(len(usages)); u {
		case 2:
			text = fmt.Sprintf(usages[u], 10+r.IntN(5000), 8+r.IntN(13), r.IntN(100))
		default:
			text = fmt.Sprintf(usages[u], 10+r.IntN(5000), r.IntN(300), r.IntN(100))
		}
		b.add("USAGE", b.between(b.signed, b.end), text)
	case x < 58:
		var ip string
		if r.IntN(10) == 0 {
			ip = fmt.Sprintf("2001:db8:%x:%x::%x", r.IntN(0x10000), r.IntN(0x10000), 1+r.IntN(0xffff))
		} else {
			ip = fmt.Sprintf("%d.%d.%d.%d", ipPrefixes[r.IntN(len(ipPrefixes))], r.IntN(256), r.IntN(256), 1+r.IntN(254))
		}
		b.add("ACCESS_LOG", b.between(b.signed, b.end), ip)
	case x < 78:
		other := b.mobile()
		if r.IntN(3) == 0 {
			other = b.landline()
		}
		dir := "발신 "
		if r.IntN(2) == 0 {
			dir = "착신 "
		}
		b.add("CALL_DETAIL", b.between(b.signed, b.end), dir+other)
	default:
		at := b.between(b.signed, b.end)
		if r.IntN(100) < 80 {
			at = b.between(later(b.signed, b.end.Add(-27*day)), b.end)
		}
		f := messages[r.IntN(len(messages))]
		n := strings.Count(f, "%d") + strings.Count(f, "%06d")
		args := make([]any, n)
		for k := range args {
			args[k] = 1 + r.IntN(999999)
		}
		if f == messages[2] || f == messages[3] || f == messages[5] {
			for k := range args {
				args[k] = 1 + r.IntN(12)
			}
		}
		b.add("MESSAGE_CONTENT", at, fmt.Sprintf(f, args...))
	}
}
