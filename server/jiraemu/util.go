package jiraemu

import (
	"strconv"
	"strings"
)

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

func itoa(i int) string { return strconv.Itoa(i) }

func i64toa(i int64) string { return strconv.FormatInt(i, 10) }
