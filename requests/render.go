package requests

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xroshot/portal/clock"
	"github.com/xroshot/portal/models"
	"github.com/xroshot/portal/policy"
)

// FormatOf names the shape of a stored export (older exports keep theirs).
func FormatOf(e *models.RequestExport) (string, error) {
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(e.Payload, &head); err != nil {
		return "", fmt.Errorf("export %s: %w", e.RequestID, err)
	}
	return head.Format, nil
}

// Render turns an export document into the human-readable rendering the
// subscriber reads (Markdown), in one language: the same facts as the JSON,
// item by item, dates in Korea Standard Time.
func Render(e *models.RequestExport, l policy.Lang) (string, error) {
	var doc exportDoc
	if err := json.Unmarshal(e.Payload, &doc); err != nil {
		return "", fmt.Errorf("export %s: %w", e.RequestID, err)
	}
	en := l == policy.En
	t := func(ko, en2 string) string {
		if en {
			return en2
		}
		return ko
	}
	day := func(tm *time.Time) string {
		if tm == nil {
			return t("미정", "not yet known")
		}
		return tm.In(clock.KST).Format(time.DateOnly)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s — %s\n\n", t("개인정보 열람 자료", "Your personal data"), doc.Controller.In(l))
	fmt.Fprintf(&b, "%s: %s · %s: %s · %s %s (%s)\n\n", t("작성", "Generated"), doc.GeneratedAt.In(clock.KST).Format("2006-01-02 15:04 KST"),
		t("내려받기 기한", "Downloadable until"), doc.ExpiresAt.In(clock.KST).Format("2006-01-02 15:04 KST"), t("처리방침", "Privacy policy"), doc.Policy.Version, doc.Policy.URL)
	sub := doc.Subscriber
	fmt.Fprintf(&b, "## %s\n\n- ID: %s\n- %s: %s\n- %s: %s\n", t("가입자", "Subscriber"), sub.ID, t("상태", "Status"), sub.Status, t("가입일", "Signed up"), day(&sub.SignedUpAt))
	if sub.TerminatedAt != nil {
		fmt.Fprintf(&b, "- %s: %s\n", t("해지일", "Terminated"), day(sub.TerminatedAt))
	}
	if sub.BirthDate != nil {
		fmt.Fprintf(&b, "- %s: %s\n", t("생년월일", "Birth date"), *sub.BirthDate)
	}
	fmt.Fprintf(&b, "- %s: %s\n\n", t("요금 상태", "Billing"), sub.BillingState)
	items := func(title string, list []exportItem) {
		fmt.Fprintf(&b, "## %s (%d)\n\n", title, len(list))
		for _, it := range list {
			fmt.Fprintf(&b, "### %s — %s\n\n- %s: %s\n", it.Label.In(l), it.Code, t("값", "Value"), it.Value)
			if it.Source != "" {
				fmt.Fprintf(&b, "- %s: %s\n", t("수집 경로", "Source"), it.Source)
			}
			fmt.Fprintf(&b, "- %s: %s\n- %s: %s\n- %s: %s\n", t("수집일", "Collected"), day(&it.CollectedAt), t("이용 목적", "Purposes"), strings.Join(it.Purposes, ", "),
				t("삭제 예정일", "Erased after"), day(it.PurgeAfter))
			for _, c := range it.Clauses {
				law := ""
				if c.Law != nil {
					law = " — " + c.Law.In(l)
				}
				fmt.Fprintf(&b, "- %s: %s%s, %s %s\n", t("보관 근거", "Kept under"), c.Label.In(l), law, t("까지", "until"), day(c.Until))
			}
			fmt.Fprintf(&b, "- %s\n\n", it.Explanation.In(l))
		}
	}
	items(t("보유 항목", "Items held"), doc.Holdings)
	items(t("이용 기록", "Records"), doc.Records)
	if doc.RecordsCut {
		fmt.Fprintf(&b, "%s\n\n", t("기록이 10,000건을 넘어 일부만 포함했습니다.", "More than 10,000 records: only the newest are included."))
	}
	fmt.Fprintf(&b, "## %s\n\n", t("동의", "Consents"))
	for _, c := range doc.Consents {
		fmt.Fprintf(&b, "- %s (%s): %s, %s\n", c.Label.In(l), c.Topic, c.State, day(&c.Since))
	}
	fmt.Fprintf(&b, "\n## %s (%d)\n\n", t("동의 이력", "Consent history"), len(doc.ConsentHistory))
	for _, e := range doc.ConsentHistory {
		fmt.Fprintf(&b, "- %s %s: %s → %s (%s, %s)\n", day(&e.At), e.Topic, e.From, e.To, e.Actor, e.Via)
	}
	fmt.Fprintf(&b, "\n## %s\n\n", t("처리 목적과 위탁", "Purposes and processors"))
	for _, p := range doc.Purposes {
		fmt.Fprintf(&b, "- %s (%s): %s\n", p.Label.In(l), p.Code, strings.TrimSpace(p.Description.In(l)))
	}
	if len(doc.Holds) > 0 {
		fmt.Fprintf(&b, "\n## %s\n\n", t("삭제 보류", "Holds"))
		for _, h := range doc.Holds {
			fmt.Fprintf(&b, "- %s, %s\n", h.Reason, day(&h.PlacedAt))
		}
	}
	fmt.Fprintf(&b, "\n## %s\n\n", t("요청", "Requests"))
	for _, q := range doc.Requests {
		res := ""
		if q.Resolution != nil {
			res = ", " + *q.Resolution
		}
		fmt.Fprintf(&b, "- %s %s: %s%s\n", day(&q.FiledAt), q.Type, q.Status, res)
	}
	return b.String(), nil
}
