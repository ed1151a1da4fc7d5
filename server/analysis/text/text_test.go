package text

import (
	"slices"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "The quick brown fox", []string{"the", "quick", "brown", "fox"}},
		{"acronym", "NPE in hdfs", []string{"npe", "in", "hdfs"}},
		{"camel", "getFileStatus fails", []string{"get", "file", "status", "getfilestatus", "fails"}},
		{"acronym then word", "HDFSClient", []string{"hdfs", "client", "hdfsclient"}},
		{"exception", "IOException", []string{"io", "exception", "ioexception"}},
		{"plural acronym", "URLs and IDs", []string{"urls", "and", "ids"}},
		{"snake", "dfs_replication_max", []string{"dfs", "replication", "max", "dfsreplicationmax"}},
		{"edge underscores", "_private_", []string{"private"}},
		{"letters and digits stay", "s3a log4j IPv6 Base64Encoder", []string{"s3a", "log4j", "ipv6", "base64", "encoder", "base64encoder"}},
		{"digit inside acronym", "S3AFileSystem", []string{"s3a", "file", "system", "s3afilesystem"}},
		{"path", "/user/hadoop/core-site.xml", []string{"user", "hadoop", "core", "site", "xml"}},
		{"dotted key", "fs.defaultFS", []string{"fs", "default", "fs", "defaultfs"}},
		{"issue key", "HADOOP-1234", []string{"hadoop", "1234"}},
		{"contraction", "don't", []string{"don", "t"}},
		{"unicode", "Größe überschritten", []string{"größe", "überschritten"}},
		{"unicode camel", "ÜberSchritt", []string{"über", "schritt", "überschritt"}},
		{"punctuation only", "--- !!! ...", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tokens(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestScanSpans(t *testing.T) {
	in := "Fix getFileStatus now"
	var got []string
	Scan(in, func(tok Token) {
		got = append(got, in[tok.Start:tok.End])
		if !tok.Compound && strings.ToLower(in[tok.Start:tok.End]) != tok.Text {
			t.Errorf("span %d-%d = %q does not match token %q", tok.Start, tok.End, in[tok.Start:tok.End], tok.Text)
		}
	})
	want := []string{"Fix", "get", "File", "Status", "getFileStatus", "now"}
	if !slices.Equal(got, want) {
		t.Errorf("spans = %q, want %q", got, want)
	}
}

func TestStem(t *testing.T) {
	// Pairs from Porter's paper and his published vocabulary/output lists.
	tests := map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
		"feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled",
		"motoring": "motor", "sing": "sing", "conflated": "conflat", "troubled": "troubl",
		"sized": "size", "hopping": "hop", "tanned": "tan", "falling": "fall", "hissing": "hiss",
		"fizzed": "fizz", "failing": "fail", "filing": "file", "happy": "happi", "sky": "sky",
		"relational": "relat", "conditional": "condit", "rational": "ration",
		"valenci": "valenc", "hesitanci": "hesit", "digitizer": "digit",
		"conformabli": "conform", "radicalli": "radic", "differentli": "differ", "vileli": "vile",
		"analogousli": "analog", "vietnamization": "vietnam", "predication": "predic",
		"operator": "oper", "feudalism": "feudal", "decisiveness": "decis",
		"hopefulness": "hope", "callousness": "callous", "formaliti": "formal",
		"sensitiviti": "sensit", "sensibiliti": "sensibl", "triplicate": "triplic",
		"formative": "form", "formalize": "formal", "electriciti": "electr",
		"electrical": "electr", "hopeful": "hope", "goodness": "good", "revival": "reviv",
		"allowance": "allow", "inference": "infer", "airliner": "airlin",
		"gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens",
		"irritant": "irrit", "replacement": "replac", "adjustment": "adjust",
		"dependent": "depend", "adoption": "adopt", "homologou": "homolog",
		"communism": "commun", "activate": "activ", "angulariti": "angular",
		"homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler",
		"probate": "probat", "rate": "rate", "cease": "ceas", "controll": "control",
		"roll": "roll", "generalizations": "gener", "oscillators": "oscil",
		"connections": "connect", "connected": "connect", "connecting": "connect",
		"replication": "replic", "ion": "ion", "is": "is", "a": "a",
		// Not stemmed: identifiers, upper case, non-ASCII.
		"s3a": "s3a", "log4j": "log4j", "NPE": "NPE", "größe": "größe",
	}
	for in, want := range tests {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsStopWord(t *testing.T) {
	tests := map[string]bool{"the": true, "should": true, "don": true, "user": false, "error": false, "hdfs": false, "": false}
	for in, want := range tests {
		if got := IsStopWord(in); got != want {
			t.Errorf("IsStopWord(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"The NameNode crashes when connecting to 2 DataNodes", []string{"name", "node", "namenod", "crash", "connect", "data", "node", "datanod"}},
		{"As a user, I want to export reports so that I can share them", []string{"user", "want", "export", "report", "share"}},
		{"HADOOP-1234: NPE in S3AFileSystem", []string{"hadoop", "npe", "s3a", "file", "system", "s3afilesystem"}},
		{strings.Repeat("x", MaxTermLen+1) + " ok", []string{"ok"}},
	}
	for _, tt := range tests {
		if got := Terms(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEachWords(t *testing.T) {
	var words []string
	Each("Replication failed", func(term, word string) { words = append(words, term+"<"+word) })
	want := []string{"replic<replication", "fail<failed"}
	if !slices.Equal(words, want) {
		t.Errorf("Each = %q, want %q", words, want)
	}
}

func TestTermFreq(t *testing.T) {
	in := "Block reports: the block report of a blocked node"
	got := TermFreq(in)
	want := Counts(Terms(in))
	if len(got) != len(want) {
		t.Fatalf("TermFreq = %v, Counts(Terms) = %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("TermFreq[%q] = %d, want %d", k, got[k], v)
		}
	}
	if got["block"] != 3 || got["report"] != 2 {
		t.Errorf("TermFreq = %v, want block:3 report:2", got)
	}
}

func TestLowercaseScanDoesNotAllocate(t *testing.T) {
	in := "the namenode crashes when connecting to datanodes after restart"
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		Scan(in, func(Token) { n++ })
	})
	if allocs != 0 {
		t.Errorf("Scan of lowercase ASCII allocated %.1f times per run, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		_ = Stem("connections")
	})
	if allocs != 0 {
		t.Errorf("Stem(connections) allocated %.1f times per run, want 0", allocs)
	}
}

func BenchmarkTerms(b *testing.B) {
	in := "NameNode fails to start after upgrade: java.io.IOException in FSNamesystem.loadFSImage when " +
		"the edit log contains an OP_ADD for a file whose parent directory was deleted; see HDFS-1234."
	buf := make([]string, 0, 64)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendTerms(buf[:0], in)
	}
}
