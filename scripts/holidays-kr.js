// Compiles policy/holidays-kr.txt, the public-holiday calendar the tax
// deadlines of 국세기본법 제5조 are moved by. Run from an empty folder:
//
//   npm install date-holidays@3.37.0 && node holidays-kr.js > holidays-kr.txt
//
// Source of the holidays: the npm package date-holidays 3.37.0, data file
// data/countries/KR.yaml (공휴일에 관한 법률 and 관공서의 공휴일에 관한 규정:
// fixed holidays, Seollal, Buddha's Birthday and Chuseok by the Korean lunar
// calendar, substitute holidays from the year each substitute rule took
// effect, Constitution Day from 2026). Its Seollal rule starts on lunar 1/1,
// a day late: the three days are the day before, the day and the day after,
// so they are laid out here from lunar 1/1 - 1. Added here: 근로자의 날
// (1 May), which 국세기본법 제5조① names beside the public holidays; temporary
// holidays already declared; and election days (공직선거법 제34조): held ones
// as they were, future ones as the statute schedules them at the end of the
// term of office (a snap election moves them; keep the file up to date).
const Holidays = require('date-holidays');
const hd = new Holidays('KR');
const FIRST = 2015, LAST = 2050;
const days = new Map(); // YYYY-MM-DD -> {kinds:Set, names:[]}
const iso = (d) => d.toISOString().slice(0, 10);
const utc = (y, m, d) => new Date(Date.UTC(y, m - 1, d));
const addDays = (d, n) => new Date(d.getTime() + n * 86400000);
function add(d, kind, name) {
  const k = typeof d === 'string' ? d : iso(d);
  if (!days.has(k)) days.set(k, { kinds: new Set(), names: [] });
  const e = days.get(k);
  e.kinds.add(kind);
  if (!e.names.includes(name)) e.names.push(name);
}
const kindOf = {
  '신정': 'NEW_YEAR', '설날': 'SEOLLAL', '3·1절': 'INDEPENDENCE', '어린이날': 'CHILDREN',
  '석가탄신일': 'BUDDHA', '현충일': 'MEMORIAL', '제헌절': 'CONSTITUTION', '광복절': 'LIBERATION',
  '추석': 'CHUSEOK', '개천절': 'FOUNDATION', '한글날': 'HANGUL', '기독탄신일': 'CHRISTMAS',
};
for (let y = FIRST; y <= LAST; y++) {
  add(utc(y, 5, 1), 'LABOUR', '근로자의 날');
  for (const h of hd.getHolidays(y)) {
    if (h.type !== 'public') continue;
    const start = new Date(h.date.slice(0, 10) + 'T00:00:00Z');
    if (h.substitute) { add(start, 'SUBSTITUTE', h.name); continue; }
    const kind = kindOf[h.name];
    if (!kind) throw new Error('unknown holiday ' + h.name + ' ' + h.date);
    if (kind === 'SEOLLAL') { for (let i = -1; i <= 1; i++) add(addDays(start, i), kind, h.name); continue; }
    if (kind === 'CHUSEOK') { for (let i = 0; i <= 2; i++) add(addDays(start, i), kind, h.name); continue; }
    add(start, kind, h.name);
  }
}
// Temporary holidays and elections already held.
add('2015-08-14', 'TEMPORARY', '임시공휴일');
add('2016-04-13', 'ELECTION', '제20대 국회의원 선거일');
add('2016-05-06', 'TEMPORARY', '임시공휴일');
add('2017-05-09', 'ELECTION', '제19대 대통령 선거일');
add('2017-10-02', 'TEMPORARY', '임시공휴일');
add('2018-06-13', 'ELECTION', '제7회 전국동시지방선거일');
add('2020-04-15', 'ELECTION', '제21대 국회의원 선거일');
add('2020-08-17', 'TEMPORARY', '임시공휴일');
add('2022-03-09', 'ELECTION', '제20대 대통령 선거일');
add('2022-06-01', 'ELECTION', '제8회 전국동시지방선거일');
add('2023-10-02', 'TEMPORARY', '임시공휴일');
add('2024-04-10', 'ELECTION', '제22대 국회의원 선거일');
add('2024-10-01', 'TEMPORARY', '임시공휴일(국군의 날)');
add('2025-01-27', 'TEMPORARY', '임시공휴일');
add('2025-06-03', 'ELECTION', '제21대 대통령 선거일');
// Elections the statute schedules (공직선거법 제34조): the first Wednesday
// from N days before the term ends; a week later when that day, or the day
// before or after it, is a holiday.
const holiday = (d) => { const e = days.get(iso(d)); return e && [...e.kinds].some((k) => k !== 'LABOUR'); };
function election(termEnd, n, name) {
  let d = addDays(termEnd, -n);
  while (d.getUTCDay() !== 3) d = addDays(d, 1);
  while (holiday(d) || holiday(addDays(d, -1)) || holiday(addDays(d, 1))) d = addDays(d, 7);
  if (d.getUTCFullYear() <= LAST) add(d, 'ELECTION', name);
}
for (let y = 2026; y <= LAST; y += 4) election(utc(y, 6, 30), 30, '전국동시지방선거일');
for (let y = 2028; y <= LAST; y += 4) election(utc(y, 5, 29), 50, '국회의원 선거일');
for (let y = 2030; y <= LAST; y += 5) election(utc(y, 6, 3), 70, '대통령 선거일');
const out = [...days.keys()].sort();
console.log('# Public holidays of the Republic of Korea, for moving tax filing deadlines');
console.log('# (국세기본법 제5조①: Saturdays, Sundays, public holidays and substitute holidays');
console.log('# under 공휴일에 관한 법률, and 근로자의 날). Compiled by scripts/holidays-kr.js');
console.log('# from date-holidays 3.37.0 (data/countries/KR.yaml) plus elections');
console.log('# (공직선거법 제34조) and declared temporary holidays; see the script.');
console.log('#');
console.log('# Reliable: the fixed, lunar and substitute holidays through ' + LAST + ';');
console.log('# elections and temporary holidays as known on 2026-12-01 (a snap election or a');
console.log('# newly declared holiday must be added by hand).');
console.log('#');
console.log('# Format: "covers FIRST LAST", then one line per date in ascending order:');
console.log('# DATE<TAB>KIND[,KIND...]<TAB>NAME. Every year covered must list its fixed');
console.log('# holidays and the three days of Seollal and Chuseok, or loading fails.');
console.log('covers ' + FIRST + ' ' + LAST);
for (const k of out) { const e = days.get(k); console.log(k + '\t' + [...e.kinds].sort().join(',') + '\t' + e.names.join(' / ')); }
