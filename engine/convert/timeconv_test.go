package convert

import (
	"testing"
	"time"
)

func TestConvertDate(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	runConvert(t, []convCase{
		{"text", "2024-02-29", pgDate, date(2024, 2, 29), ""},
		{"short month and day", "2024-3-5", pgDate, date(2024, 3, 5), ""},
		{"midnight text", "2024-02-29 00:00:00", pgDate, date(2024, 2, 29), ""},
		{"bytes", []byte("1999-12-31"), pgDate, date(1999, 12, 31), ""},
		{"time.Time wall date", time.Date(2024, 5, 6, 0, 0, 0, 0, paris), pgDate, date(2024, 5, 6), ""},
		{"year 1", "0001-01-02", pgDate, date(1, 1, 2), ""},
		{"first day of year 1", "0001-01-01", pgDate, date(1, 1, 1), ""},
		{"last day of year 9999", "9999-12-31", pgDate, date(9999, 12, 31), ""},
		{"Go zero time is 0001-01-01", time.Time{}, pgDate, date(1, 1, 1), ""},

		{"February 30", "2024-02-30", pgDate, nil, ReasonInvalidDate},
		{"not a leap year", "2023-02-29", pgDate, nil, ReasonInvalidDate},
		{"month 13", "2024-13-01", pgDate, nil, ReasonInvalidDate},
		{"MySQL zero date", "0000-00-00", pgDate, nil, ReasonInvalidDate},
		{"MySQL partial date", "2024-00-10", pgDate, nil, ReasonInvalidDate},
		{"year 0", "0000-01-01", pgDate, nil, ReasonInvalidDate},
		{"garbage", "yesterday", pgDate, nil, ReasonInvalidDate},
		{"US order", "02/29/2024", pgDate, nil, ReasonInvalidDate},
		{"number", int64(20240229), pgDate, nil, ReasonInvalidDate},
		{"trailing T", "2024-02-29T", pgDate, nil, ReasonInvalidDate},
		{"time of day dropped", "2024-02-29 10:00:00", pgDate, nil, ReasonPrecisionLoss},
		{"time.Time with clock", ts(2024, 2, 29, 0, 0, 1, 0), pgDate, nil, ReasonPrecisionLoss},
		{"offset", "2024-02-29T00:00:00+02:00", pgDate, nil, ReasonInvalidDate},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), pgDate, nil, ReasonOutOfRange},
	})
}

func TestZeroDateMessage(t *testing.T) {
	for _, in := range []any{"0000-00-00", "0000-00-00 00:00:00"} {
		_, r := Convert(in, myDatetime)
		want := `"` + in.(string) + `" is MySQL's zero date, which is not a real date (target column type datetime)`
		if r == nil || r.Reason != ReasonInvalidDate || r.Message != want {
			t.Errorf("%v: got %v, want %s", in, r, want)
		}
	}
	_, r := Convert("2024-02-30", pgDate)
	if want := `"2024-02-30" is not a valid date: February 2024 has 29 days (target column type date)`; r == nil || r.Message != want {
		t.Errorf("got %v, want %s", r, want)
	}
}

func TestConvertTimestamp(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	runConvert(t, []convCase{
		{"space", "2024-02-29 13:45:10", pgTS, ts(2024, 2, 29, 13, 45, 10, 0), ""},
		{"T and fraction", "2024-02-29T13:45:10.123456", pgTS, ts(2024, 2, 29, 13, 45, 10, 123456000), ""},
		{"no seconds", "2024-02-29 13:45", pgTS, ts(2024, 2, 29, 13, 45, 0, 0), ""},
		{"date only", "2024-02-29", pgTS, ts(2024, 2, 29, 0, 0, 0, 0), ""},
		{"zero offset accepted", "2024-02-29 13:45:10+00:00", pgTS, ts(2024, 2, 29, 13, 45, 10, 0), ""},
		{"Z accepted", "2024-02-29T13:45:10Z", pgTS, ts(2024, 2, 29, 13, 45, 10, 0), ""},
		{"wall time kept", time.Date(2024, 2, 29, 13, 45, 10, 0, tokyo), pgTS, ts(2024, 2, 29, 13, 45, 10, 0), ""},
		{"datetime(6)", "2024-02-29 13:45:10.5", myDatetime6, ts(2024, 2, 29, 13, 45, 10, 500000000), ""},
		{"extra zero digits", "2024-02-29 13:45:10.1234560000", pgTS, ts(2024, 2, 29, 13, 45, 10, 123456000), ""},

		{"nonzero offset", "2024-02-29 13:45:10+02:00", pgTS, nil, ReasonInvalidDate},
		{"hour 24", "2024-02-29 24:00:00", pgTS, nil, ReasonInvalidDate},
		{"minute 60", "2024-02-29 13:60:00", pgTS, nil, ReasonInvalidDate},
		{"MySQL zero datetime", "0000-00-00 00:00:00", myDatetime, nil, ReasonInvalidDate},
		{"nanoseconds into microseconds", ts(2024, 2, 29, 13, 45, 10, 1), pgTS, nil, ReasonPrecisionLoss},
		{"fraction into timestamp(0)", "2024-02-29 13:45:10.5", pgTS0, nil, ReasonPrecisionLoss},
		{"microseconds into datetime", ts(2024, 2, 29, 13, 45, 10, 1000), myDatetime, nil, ReasonPrecisionLoss},
		{"beyond nanoseconds", "2024-02-29 13:45:10.0000000001", ParseSQLite("DATETIME", false), nil, ReasonPrecisionLoss},
		{"bool", true, pgTS, nil, ReasonInvalidDate},
	})
}

func TestConvertTimestampTZ(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	runConvert(t, []convCase{
		{"instant to UTC", time.Date(2024, 2, 29, 9, 0, 0, 0, tokyo), pgTSTZ, ts(2024, 2, 29, 0, 0, 0, 0), ""},
		{"offset text", "2024-02-29T09:00:00+09:00", pgTSTZ, ts(2024, 2, 29, 0, 0, 0, 0), ""},
		{"compact offset", "2024-02-29 09:00:00+0900", pgTSTZ, ts(2024, 2, 29, 0, 0, 0, 0), ""},
		{"hour offset", "2024-02-29 09:00:00-03", pgTSTZ, ts(2024, 2, 29, 12, 0, 0, 0), ""},
		{"UTC word", "2024-02-29 09:00:00 UTC", pgTSTZ, ts(2024, 2, 29, 9, 0, 0, 0), ""},
		{"no zone is UTC", "2024-02-29 09:00:00", pgTSTZ, ts(2024, 2, 29, 9, 0, 0, 0), ""},
		{"MySQL timestamp", "2038-01-19 03:14:07", myTimestamp, ts(2038, 1, 19, 3, 14, 7, 0), ""},

		{"MySQL timestamp too late", "2038-01-19 03:14:08", myTimestamp, nil, ReasonOutOfRange},
		{"MySQL timestamp epoch", "1970-01-01 00:00:00", myTimestamp, nil, ReasonOutOfRange},
		{"offset out of range", "2024-02-29 09:00:00+16:00", pgTSTZ, nil, ReasonInvalidDate},
		{"offset pushes into year 0", "0001-01-01 00:00:00+01:00", pgTSTZ, nil, ReasonOutOfRange},
		{"first instant of year 1", time.Time{}, pgTSTZ, ts(1, 1, 1, 0, 0, 0, 0), ""},
	})
}

func TestConvertTime(t *testing.T) {
	runConvert(t, []convCase{
		{"text", "13:45:10", pgTime, "13:45:10", ""},
		{"short hour", "9:05", pgTime, "09:05:00", ""},
		{"fraction trimmed", "13:45:10.500000", pgTime, "13:45:10.5", ""},
		{"24:00", "24:00:00", pgTime, "24:00:00", ""},
		{"time.Time clock", time.Date(0, 1, 1, 13, 45, 10, 0, time.UTC), pgTime, "13:45:10", ""},
		{"MySQL duration", "-838:59:59", myTime, "-838:59:59", ""},
		{"MySQL long", "100:00:00", myTime, "100:00:00", ""},

		{"25 hours in PostgreSQL", "25:00:00", pgTime, nil, ReasonOutOfRange},
		{"negative in PostgreSQL", "-01:00:00", pgTime, nil, ReasonOutOfRange},
		{"MySQL beyond 838h", "839:00:00", myTime, nil, ReasonOutOfRange},
		{"minute 60", "10:60:00", pgTime, nil, ReasonInvalidDate},
		{"garbage", "noon", pgTime, nil, ReasonInvalidDate},
		{"with zone", "10:00:00+02", pgTime, nil, ReasonInvalidDate},
		{"number", int64(1000), pgTime, nil, ReasonInvalidDate},
		{"fraction into time(0)", "10:00:00.5", myTime, nil, ReasonPrecisionLoss},
		{"time.Time with a date", ts(2024, 2, 29, 10, 0, 0, 0), pgTime, nil, ReasonPrecisionLoss},
	})
}
