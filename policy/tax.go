package policy

import (
	"fmt"
	"time"

	"github.com/xroshot/portal/clock"
)

// Tax is what the tax clause needs to know about the operator's taxes
// (docs/LAW.md "Retention and destruction"): its fiscal year, for the corporate
// tax deadline, and the holiday calendar deadlines are moved by.
type Tax struct {
	// FiscalYearEndMonth and FiscalYearEndDay are the last day of the
	// operator's fiscal year; 31 December unless the catalog says
	// otherwise.
	FiscalYearEndMonth time.Month
	FiscalYearEndDay   int
	Holidays           *Holidays
}

// taxDoc is the catalog's "tax" section.
type taxDoc struct {
	// FiscalYearEnd is MM-DD, such as "12-31" or "03-31".
	FiscalYearEnd string `yaml:"fiscal_year_end"`
}

// parseFiscalYearEnd reads MM-DD; "" is 31 December.
func parseFiscalYearEnd(s string) (time.Month, int, error) {
	if s == "" {
		return time.December, 31, nil
	}
	t, err := time.Parse("01-02", s)
	if err != nil {
		return 0, 0, fmt.Errorf("fiscal_year_end %q: want MM-DD, such as 12-31", s)
	}
	if t.Month() == time.February && t.Day() == 29 {
		return 0, 0, fmt.Errorf("fiscal_year_end %q: a fiscal year cannot end on a day most years lack", s)
	}
	return t.Month(), t.Day(), nil
}

// Deadline is a statutory filing deadline, moved past weekends and holidays.
type Deadline struct {
	// Tax is "VAT" or "CORPORATE".
	Tax string
	// Statutory is the deadline as the tax law sets it, midnight KST.
	Statutory time.Time
	// Due is the deadline after 국세기본법 제5조 moved it: the next
	// working day when Statutory is a Saturday, Sunday or holiday.
	Due time.Time
}

// FilingDeadline returns the latest statutory filing deadline of the taxes
// a fee recorded at t falls under (국세기본법 제85조의3②: the books are kept
// from the day after it): the final VAT return of its half-year, due 25 July
// or 25 January (부가가치세법 제49조), and the corporate tax return of its
// fiscal year, due at the end of the third month after the month the fiscal
// year ends in (법인세법 제60조). Each is moved to the next working day as
// 국세기본법 제5조 says; the later one governs.
func (x *Tax) FilingDeadline(t time.Time) Deadline {
	k := t.In(clock.KST)
	vat := time.Date(k.Year(), time.July, 25, 0, 0, 0, 0, clock.KST)
	if k.Month() > time.June {
		vat = time.Date(k.Year()+1, time.January, 25, 0, 0, 0, 0, clock.KST)
	}
	fyEnd := x.fiscalYearEnd(k.Year())
	if StartOfDay(k).After(fyEnd) {
		fyEnd = x.fiscalYearEnd(k.Year() + 1)
	}
	// Day 0 of the fourth month after is the last day of the third.
	cit := time.Date(fyEnd.Year(), fyEnd.Month()+4, 0, 0, 0, 0, 0, clock.KST)
	a := Deadline{Tax: "VAT", Statutory: vat, Due: x.workingDay(vat)}
	b := Deadline{Tax: "CORPORATE", Statutory: cit, Due: x.workingDay(cit)}
	if b.Due.After(a.Due) {
		return b
	}
	return a
}

// fiscalYearEnd is the end of the fiscal year that ends in year y.
func (x *Tax) fiscalYearEnd(y int) time.Time {
	m, d := x.FiscalYearEndMonth, x.FiscalYearEndDay
	if m == 0 {
		m, d = time.December, 31
	}
	return time.Date(y, m, min(d, daysIn(y, m)), 0, 0, 0, 0, clock.KST)
}

func (x *Tax) workingDay(d time.Time) time.Time {
	if x.Holidays == nil {
		// Without a calendar only weekends move a deadline; Load always
		// sets one.
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	return x.Holidays.WorkingDay(d)
}
