package dupes

import (
	"slices"
	"testing"
)

func TestEachExactTerm(t *testing.T) {
	tests := []struct {
		in       string
		integers bool
		want     []string
	}{
		{"Upgrade Netty to 4.1.46.Final", false, []string{"4.1.46"}},
		{"Update Netty to 4.1.46Final", false, []string{"4.1.46"}},
		{"fix CVE-2022-40149 and HADOOP-17796.", false, []string{"cve-2022-40149", "hadoop-17796"}},
		{"see branch-3.3.", false, []string{"branch-3.3"}},
		{"Update the year to 2022", false, nil},
		{"Update the year to 2022", true, []string{"2022"}},
		{"utf-8x and s3a-12b are not keys", false, nil},
		{"version v2.0.1 and V3", false, []string{"2.0.1"}},
		{"at 10:58.787 on 2021-10-27", false, nil},
		{"image apache/hadoop:3.3.1", false, []string{"3.3.1"}},
		{"build 4.1.46Final", true, []string{"4.1.46"}},
		{"s3a 64bit 2x", true, nil},
	}
	for _, tt := range tests {
		var got []string
		eachExactTerm(tt.in, tt.integers, func(term, word string) {
			if term != "#"+word {
				t.Errorf("term %q for word %q, want '#' prefix", term, word)
			}
			got = append(got, word)
		})
		if !slices.Equal(got, tt.want) {
			t.Errorf("eachExactTerm(%q, %v) = %q, want %q", tt.in, tt.integers, got, tt.want)
		}
	}
}

func TestIsFrame(t *testing.T) {
	tests := map[string]bool{
		"\tat org.apache.hadoop.fs.FileSystem.get(FileSystem.java:123)": true,
		"    at Object.<anonymous> (/app/index.js:3:9)":                 true,
		`  File "/usr/lib/python3/x.py", line 12, in main`:              true,
		"at the end of the script (see below)":                          false,
		"at org.Foo.bar(Foo.java:1) ~[foo.jar:?]":                       true,
		"Caused by: java.io.IOException: boom":                          false,
		"We looked at it yesterday":                                     false,
	}
	for in, want := range tests {
		if got := isFrame(in); got != want {
			t.Errorf("isFrame(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestAnalyseKeepsTopFrames(t *testing.T) {
	x := New(DefaultOptions())
	desc := "java.io.IOException: disk full\n" +
		"\tat org.apache.Alpha.run(Alpha.java:1)\n" +
		"\tat org.apache.Bravo.run(Bravo.java:2)\n" +
		"\tat org.apache.Charlie.run(Charlie.java:3)\n" +
		"\tat org.junit.Delta.run(Delta.java:4)\n" +
		"Caused by: java.lang.NullPointerException\n" +
		"\tat org.apache.Echo.run(Echo.java:5)\n"
	a := x.analyse("Disk full", desc)
	for _, want := range []string{"alpha", "bravo", "charli", "echo"} {
		if !slices.Contains(a.terms, want) {
			t.Errorf("terms %q lack %q", a.terms, want)
		}
	}
	if slices.Contains(a.terms, "delta") {
		t.Errorf("terms %q keep the fourth frame (delta)", a.terms)
	}
}
