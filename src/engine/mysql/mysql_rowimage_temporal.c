/*
 * mysql_rowimage_temporal.c: the date and time values of a row image, into the
 * canonical text of mysql_column.h (YEAR, DATE, TIME, DATETIME, TIMESTAMP in UTC
 * with "+00"), zero dates included.
 *
 * Layouts (checked against events recorded from MariaDB 10.11):
 *   YEAR                         one byte, year - 1900 (0 = YEAR 0000)
 *   DATE                         3 bytes little-endian: day | month << 5 | year << 9
 *   TIME2                        3 bytes big-endian hour << 12 | minute << 6 | second,
 *                                plus 0x800000, then (fsp + 1) / 2 bytes of fraction;
 *                                negative times count the fraction backwards
 *   DATETIME2                    5 bytes big-endian ((year * 13 + month) << 5 | day) << 17
 *                                | hour << 12 | minute << 6 | second, plus 0x8000000000,
 *                                then the fraction
 *   TIMESTAMP2                   4 bytes big-endian seconds since 1970 UTC, then the fraction
 *   TIME, DATETIME, TIMESTAMP    fsp 0 (MySQL and MariaDB): 3 bytes little-endian signed
 *                                HHMMSS, 8 bytes little-endian YYYYMMDDhhmmss, 4 bytes
 *                                little-endian seconds.  MariaDB's pre-10.1 columns with
 *                                fsp > 0 ("hires", no metadata in the TABLE_MAP) are
 *                                big-endian counts of 10^-fsp seconds, sized by fsp.
 *
 * It must never print a value it could not decode exactly: out-of-range fields
 * (minute 61, February 30) are errors, not clamped values, and a zero date is NULL
 * only when the column says so.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <mysql.h>

#include "engine/mysql/mysql_rowimage_internal.h"

typedef struct RiTime {
    bool neg;
    unsigned year, month, day, hour, minute, second;
    uint32_t usec;
} RiTime;

static const unsigned days_in_month[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static size_t
fmt_date_part(char *b, const RiTime *t)
{
    return (size_t) sprintf(b, "%04u-%02u-%02u", t->year % 10000, t->month % 100, t->day % 100);
}

/* ".ffffff" cut to fsp digits (nothing when fsp is 0). */
static size_t
fmt_frac(char *b, uint32_t usec, unsigned fsp)
{
    if (fsp == 0)
        return 0;
    return (size_t) sprintf(b, ".%0*u", (int) fsp, (unsigned) (usec / ri_pow10[6 - fsp]));
}

/*
 * Checks the date of a DATE/DATETIME/TIMESTAMP: a zero year, month or day is a zero
 * date (NULL when the column says so, else an error); other impossible dates are
 * errors.  Returns 0 to print the value, 1 when the value is NULL, -1 on error.
 */
static int
check_date(const RiValue *v, const RiTime *t, const char *shown)
{
    if (t->year == 0 || t->month == 0 || t->day == 0) {
        if (v->c->zero_dates_null) {
            v->out->kind = VALUE_NULL;
            v->out->data = NULL;
            v->out->len = 0;
            return 1;
        }
        return ri_fail(v, "zero date %s is not a valid date (--zero-dates null reads it as NULL)",
                       shown);
    }
    bool leap = (t->year % 4 == 0 && t->year % 100 != 0) || t->year % 400 == 0;
    if (t->year > 9999 || t->month > 12 || t->day > days_in_month[t->month] ||
        (t->month == 2 && t->day == 29 && !leap))
        return ri_fail(v, "invalid date %s", shown);
    return 0;
}

static int
check_clock(const RiValue *v, const RiTime *t, unsigned max_hour)
{
    if (t->hour > max_hour || t->minute > 59 || t->second > 59 || t->usec > 999999)
        return ri_fail(v, "corrupt %s value (%u:%u:%u.%06u)", ri_type_name(v->type), t->hour,
                       t->minute, t->second, (unsigned) t->usec);
    return 0;
}

static int
emit_date(const RiValue *v, const RiTime *t)
{
    if (v->c->kind != MYV_DATE)
        return ri_kind_mismatch(v);
    char buf[32];
    size_t n = fmt_date_part(buf, t);
    int rc = check_date(v, t, buf);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    return ri_emit_copy(v, buf, n);
}

static int
emit_datetime(const RiValue *v, const RiTime *t, unsigned fsp, bool utc)
{
    if (v->c->kind != (utc ? MYV_TIMESTAMP : MYV_DATETIME))
        return ri_kind_mismatch(v);
    char buf[48];
    size_t n = fmt_date_part(buf, t);
    n += (size_t) sprintf(buf + n, " %02u:%02u:%02u", t->hour % 100, t->minute % 100,
                          t->second % 100);
    n += fmt_frac(buf + n, t->usec, fsp);
    if (utc) {
        /* From seconds since 1970: always a real date and time. */
        n += (size_t) sprintf(buf + n, "+00");
    } else {
        int rc = check_date(v, t, buf);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
        if (check_clock(v, t, 23) != 0)
            return -1;
    }
    return ri_emit_copy(v, buf, n);
}

static int
emit_time(const RiValue *v, const RiTime *t, unsigned fsp)
{
    if (v->c->kind != MYV_TIME)
        return ri_kind_mismatch(v);
    if (check_clock(v, t, 838) != 0)
        return -1;
    char buf[32];
    size_t n = (size_t) sprintf(buf, "%s%02u:%02u:%02u", t->neg ? "-" : "", t->hour, t->minute,
                                t->second);
    n += fmt_frac(buf + n, t->usec, fsp);
    return ri_emit_copy(v, buf, n);
}

/* Seconds since 1970-01-01 UTC to a civil date and time (proleptic Gregorian). */
static void
unix_to_time(uint64_t secs, RiTime *t)
{
    uint64_t days = secs / 86400, rem = secs % 86400;
    t->hour = (unsigned) (rem / 3600);
    t->minute = (unsigned) (rem / 60 % 60);
    t->second = (unsigned) (rem % 60);
    uint64_t z = days + 719468;
    uint64_t era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    t->day = (unsigned) (doy - (153 * mp + 2) / 5 + 1);
    t->month = (unsigned) (mp < 10 ? mp + 3 : mp - 9);
    t->year = (unsigned) (yoe + era * 400 + (t->month <= 2));
}

static int
emit_timestamp(const RiValue *v, uint64_t secs, uint32_t usec, unsigned fsp)
{
    if (v->c->kind != MYV_TIMESTAMP)
        return ri_kind_mismatch(v);
    RiTime t = {.usec = usec};
    if (secs == 0 && usec == 0) {
        RiTime zero = {0};
        return check_date(v, &zero, "0000-00-00 00:00:00") < 0 ? -1 : 0;
    }
    if (usec > 999999)
        return ri_fail(v, "corrupt TIMESTAMP fraction %u", (unsigned) usec);
    unix_to_time(secs, &t);
    return emit_datetime(v, &t, fsp, true);
}

/* The fraction after a TIME2/DATETIME2/TIMESTAMP2, in microseconds (unsigned form). */
static uint32_t
frac_usec(const uint8_t *p, unsigned fsp)
{
    switch (fsp) {
    case 1: case 2: return (uint32_t) p[0] * 10000;
    case 3: case 4: return (uint32_t) ri_be_n(p, 2) * 100;
    case 5: case 6: return (uint32_t) ri_be_n(p, 3);
    default: return 0;
    }
}

/*
 * TIME2: MySQL's my_time_packed_from_binary().  A negative time with a fraction is
 * stored as (integer part - 1, fraction counted down from 1), so that the bytes sort.
 */
static void
time2_decode(const uint8_t *p, unsigned fsp, RiTime *t)
{
    int64_t packed;     /* seconds-part << 24 | microseconds, negated when negative */
    if (fsp >= 5) {
        packed = (int64_t) ri_be_n(p, 6) - INT64_C(0x800000000000);
    } else {
        int64_t intpart = (int64_t) ri_be_n(p, 3) - 0x800000;
        int64_t frac = 0;
        if (fsp >= 1) {
            unsigned fbytes = fsp <= 2 ? 1 : 2;
            frac = (int64_t) ri_be_n(p + 3, fbytes);
            if (intpart < 0 && frac != 0) {
                intpart++;
                frac -= fbytes == 1 ? 0x100 : 0x10000;
            }
            frac *= fbytes == 1 ? 10000 : 100;
        }
        packed = intpart * (INT64_C(1) << 24) + frac;
    }
    t->neg = packed < 0;
    uint64_t mag = t->neg ? 0 - (uint64_t) packed : (uint64_t) packed;
    uint64_t hms = mag >> 24;
    t->usec = (uint32_t) (mag & 0xffffff);
    t->hour = (unsigned) ((hms >> 12) % 1024);
    t->minute = (unsigned) ((hms >> 6) % 64);
    t->second = (unsigned) (hms % 64);
}

/* MariaDB's hires (pre-10.1) temporal sizes, by fsp: Type_handler_*::hires_bytes(). */
static const unsigned time_hires_bytes[7] = {3, 4, 4, 5, 5, 5, 6};
static const unsigned datetime_hires_bytes[7] = {5, 6, 6, 7, 7, 7, 8};
static const unsigned timestamp_frac_bytes[7] = {0, 1, 1, 2, 2, 3, 3};

/* Counts of 10^-fsp seconds to seconds and microseconds. */
static void
split_frac(uint64_t count, unsigned fsp, uint64_t *secs, uint32_t *usec)
{
    *secs = count / ri_pow10[fsp];
    *usec = (uint32_t) (count % ri_pow10[fsp]) * ri_pow10[6 - fsp];
}

int
ri_format_old_time(const RiValue *v, const uint8_t *p, unsigned fsp)
{
    RiTime t = {0};
    if (fsp == 0) {
        int64_t x = ri_sign_extend(ri_le24(p), 24);
        t.neg = x < 0;
        uint64_t m = (uint64_t) (t.neg ? -x : x);
        t.hour = (unsigned) (m / 10000);
        t.minute = (unsigned) (m / 100 % 100);
        t.second = (unsigned) (m % 100);
    } else {
        /* Big-endian count of 10^-fsp seconds, offset so that -838:59:59.(9) is 0. */
        int64_t zero = (INT64_C(3020399) + 1) * ri_pow10[fsp];
        int64_t x = (int64_t) ri_be_n(p, time_hires_bytes[fsp]) - zero;
        t.neg = x < 0;
        uint64_t secs;
        split_frac((uint64_t) (t.neg ? -x : x), fsp, &secs, &t.usec);
        t.hour = (unsigned) (secs / 3600);
        t.minute = (unsigned) (secs / 60 % 60);
        t.second = (unsigned) (secs % 60);
    }
    return emit_time(v, &t, fsp);
}

int
ri_format_old_datetime(const RiValue *v, const uint8_t *p, unsigned fsp)
{
    RiTime t = {0};
    if (fsp == 0) {
        uint64_t x = ri_le64(p);
        uint64_t date = x / 1000000, clock = x % 1000000;
        t.year = (unsigned) (date / 10000 % 100000);
        t.month = (unsigned) (date / 100 % 100);
        t.day = (unsigned) (date % 100);
        t.hour = (unsigned) (clock / 10000);
        t.minute = (unsigned) (clock / 100 % 100);
        t.second = (unsigned) (clock % 100);
    } else {
        uint64_t secs;
        split_frac(ri_be_n(p, datetime_hires_bytes[fsp]), fsp, &secs, &t.usec);
        t.second = (unsigned) (secs % 60);
        secs /= 60;
        t.minute = (unsigned) (secs % 60);
        secs /= 60;
        t.hour = (unsigned) (secs % 24);
        secs /= 24;
        t.day = (unsigned) (secs % 32);
        secs /= 32;
        t.month = (unsigned) (secs % 13);
        t.year = (unsigned) (secs / 13 % 100000);
    }
    return emit_datetime(v, &t, fsp, false);
}

int
ri_format_old_timestamp(const RiValue *v, const uint8_t *p, unsigned fsp)
{
    if (fsp == 0)
        return emit_timestamp(v, ri_le32(p), 0, 0);
    return emit_timestamp(v, ri_be_n(p, 4),
                          (uint32_t) ri_be_n(p + 4, timestamp_frac_bytes[fsp]) * ri_pow10[6 - fsp],
                          fsp);
}

unsigned
ri_old_temporal_size(uint8_t type, unsigned fsp)
{
    switch (type) {
    case MYSQL_TYPE_TIME: return time_hires_bytes[fsp];
    case MYSQL_TYPE_DATETIME: return fsp ? datetime_hires_bytes[fsp] : 8;
    default: return 4 + timestamp_frac_bytes[fsp];
    }
}

int
ri_format_year(const RiValue *v, const uint8_t *p)
{
    if (v->c->kind != MYV_YEAR)
        return ri_kind_mismatch(v);
    char buf[8];
    int n = snprintf(buf, sizeof buf, "%u", p[0] ? 1900u + p[0] : 0u);
    return ri_emit_copy(v, buf, (size_t) n);
}

int
ri_format_date(const RiValue *v, const uint8_t *p)
{
    uint32_t x = ri_le24(p);
    RiTime t = {.day = x & 31, .month = (x >> 5) & 15, .year = x >> 9};
    return emit_date(v, &t);
}

int
ri_format_time2(const RiValue *v, const uint8_t *p, unsigned fsp)
{
    RiTime t;
    time2_decode(p, fsp, &t);
    return emit_time(v, &t, fsp);
}

int
ri_format_datetime2(const RiValue *v, const uint8_t *p, unsigned fsp)
{
    int64_t x = (int64_t) ri_be_n(p, 5) - INT64_C(0x8000000000);
    if (x < 0)
        return ri_fail(v, "corrupt DATETIME value (negative)");
    uint64_t ymd = (uint64_t) x >> 17, hms = (uint64_t) x % (1 << 17);
    RiTime t = {
        .day = (unsigned) (ymd % 32), .month = (unsigned) ((ymd >> 5) % 13),
        .year = (unsigned) ((ymd >> 5) / 13), .hour = (unsigned) (hms >> 12),
        .minute = (unsigned) ((hms >> 6) % 64), .second = (unsigned) (hms % 64),
        .usec = frac_usec(p + 5, fsp),
    };
    return emit_datetime(v, &t, fsp, false);
}

int
ri_format_timestamp2(const RiValue *v, const uint8_t *p, unsigned fsp)
{
    return emit_timestamp(v, ri_be_n(p, 4), frac_usec(p + 4, fsp), fsp);
}
