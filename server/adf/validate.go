package adf

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error Validate returns for a document that
// parses as JSON but breaks the ADF schema.
var ErrInvalid = errors.New("adf: invalid document")

// Validate checks that raw is an ADF document (version 1) that the Atlassian
// ADF JSON schema accepts: known node types, each only where the schema lets
// it appear, required and allowed attributes with their types, enums and
// ranges, and allowed marks. The rules are the schema's, written out as Go
// tables (schema.go) so the binary needs no schema file at run time; tests
// check both agree.
func Validate(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("adf: validate: %w", err)
	}
	if err := validateDoc(v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// pathError is a schema violation at a JSON path within the document.
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func errAt(path, format string, args ...any) error {
	return &pathError{path: path, msg: fmt.Sprintf(format, args...)}
}

func validateDoc(v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return errAt("", "document must be an object")
	}
	for k := range obj {
		if k != "type" && k != "version" && k != "content" {
			return errAt("", "unexpected property %q", k)
		}
	}
	if t, ok := obj["type"]; !ok || t != "doc" {
		return errAt("", `type must be "doc"`)
	}
	if ver, ok := obj["version"]; !ok || ver != float64(1) {
		return errAt("", "version must be 1")
	}
	c, ok := obj["content"]
	if !ok {
		return errAt("", "content is required")
	}
	return checkContent("content", c, &contentRule{items: docContent})
}

// checkContent validates a content array against a rule.
func checkContent(path string, v any, r *contentRule) error {
	arr, ok := v.([]any)
	if !ok {
		return errAt(path, "content must be an array")
	}
	if len(arr) < r.min {
		return errAt(path, "content needs at least %d item(s)", r.min)
	}
	if r.max > 0 && len(arr) > r.max {
		return errAt(path, "content allows at most %d item(s)", r.max)
	}
	for i, child := range arr {
		cp := path + "[" + strconv.Itoa(i) + "]"
		allowed := r.items
		if r.tuple != nil {
			if i >= len(r.tuple) {
				continue // draft-04: items past a tuple are unconstrained
			}
			allowed = r.tuple[i]
		}
		if err := checkNodeIn(cp, child, allowed); err != nil {
			return err
		}
	}
	return nil
}

// checkNodeIn validates v against the first of the allowed definitions it
// satisfies (the schema's anyOf). Definitions are tried only when their node
// type matches, which is exact because every definition pins its type.
func checkNodeIn(path string, v any, allowed []string) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return errAt(path, "node must be an object")
	}
	typ, _ := obj["type"].(string)
	var first error
	tried := false
	for _, name := range allowed {
		d := nodeDefs[name]
		if d.typ != typ {
			continue
		}
		tried = true
		err := checkNode(path, obj, d)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	if !tried {
		if _, known := knownTypes[typ]; !known {
			return errAt(path, "unknown node type %q", typ)
		}
		return errAt(path, "node type %q is not allowed here", typ)
	}
	return first
}

func checkNode(path string, obj map[string]any, d *nodeDef) error {
	if !d.open {
		for k := range obj {
			switch {
			case k == "type":
			case k == "attrs" && d.attrs != nil:
			case k == "content" && d.content != nil:
			case k == "marks" && d.marks.kind != marksForbidden:
			case k == "text" && d.text:
			default:
				return errAt(path, "%s: unexpected property %q", d.typ, k)
			}
		}
	}
	if d.text {
		s, ok := obj["text"].(string)
		if !ok {
			return errAt(path, "text: required string")
		}
		if s == "" {
			return errAt(path, "text: must not be empty")
		}
	}
	if a, ok := obj["attrs"]; ok && d.attrs != nil {
		if err := checkAttrs(path+".attrs", a, d.attrs); err != nil {
			return err
		}
	} else if !ok && d.attrsRequired {
		return errAt(path, "%s: attrs is required", d.typ)
	}
	if m, ok := obj["marks"]; ok {
		if err := checkMarks(path+".marks", m, d.marks); err != nil {
			return err
		}
	}
	if c, ok := obj["content"]; ok && d.content != nil {
		if err := checkContent(path+".content", c, d.content); err != nil {
			return err
		}
	} else if !ok && d.contentRequired {
		return errAt(path, "%s: content is required", d.typ)
	}
	return nil
}

func checkAttrs(path string, v any, shapes []attrShape) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return errAt(path, "must be an object")
	}
	var first error
	for i := range shapes {
		err := checkShape(path, obj, &shapes[i])
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

func checkShape(path string, obj map[string]any, s *attrShape) error {
	for _, r := range s.required {
		if _, ok := obj[r]; !ok {
			return errAt(path, "%q is required", r)
		}
	}
	for k, val := range obj {
		check, ok := s.props[k]
		if !ok {
			return errAt(path, "unexpected attribute %q", k)
		}
		if err := check(val); err != nil {
			return errAt(path+"."+k, "%v", err)
		}
	}
	return nil
}

func checkMarks(path string, v any, r markRule) error {
	arr, ok := v.([]any)
	if !ok {
		return errAt(path, "must be an array")
	}
	switch r.kind {
	case marksAny:
		return nil
	case marksNone:
		if len(arr) > 0 {
			return errAt(path, "no marks allowed here")
		}
		return nil
	}
	for i, m := range arr {
		mp := path + "[" + strconv.Itoa(i) + "]"
		obj, ok := m.(map[string]any)
		if !ok {
			return errAt(mp, "mark must be an object")
		}
		typ, _ := obj["type"].(string)
		allowed := false
		for _, t := range r.types {
			if t == typ {
				allowed = true
				break
			}
		}
		if !allowed {
			if _, known := markDefs[typ]; !known {
				return errAt(mp, "unknown mark type %q", typ)
			}
			return errAt(mp, "mark %q is not allowed here", typ)
		}
		if err := checkMark(mp, obj, markDefs[typ]); err != nil {
			return err
		}
	}
	return nil
}

// checkMark validates one mark; attrs is nil for marks without attributes
// (strong, em, code, …), otherwise the attributes are required.
func checkMark(path string, obj map[string]any, attrs []attrShape) error {
	for k := range obj {
		if k != "type" && (k != "attrs" || attrs == nil) {
			return errAt(path, "unexpected property %q", k)
		}
	}
	if attrs == nil {
		return nil
	}
	a, ok := obj["attrs"]
	if !ok {
		return errAt(path, "attrs is required")
	}
	return checkAttrs(path+".attrs", a, attrs)
}

// Value checks used in attribute tables.

type valueCheck func(any) error

func anyValue(any) error { return nil }

func str(v any) error {
	if _, ok := v.(string); !ok {
		return errors.New("must be a string")
	}
	return nil
}

func nonEmptyStr(v any) error {
	s, ok := v.(string)
	if !ok {
		return errors.New("must be a string")
	}
	if utf8.RuneCountInString(s) < 1 {
		return errors.New("must not be empty")
	}
	return nil
}

func boolean(v any) error {
	if _, ok := v.(bool); !ok {
		return errors.New("must be a boolean")
	}
	return nil
}

func number(v any) error {
	if _, ok := v.(float64); !ok {
		return errors.New("must be a number")
	}
	return nil
}

// numberIn checks an inclusive range; NaN bounds are not used.
func numberIn(lo, hi float64) valueCheck {
	return func(v any) error {
		f, ok := v.(float64)
		if !ok {
			return errors.New("must be a number")
		}
		if f < lo || f > hi {
			return fmt.Errorf("must be between %g and %g", lo, hi)
		}
		return nil
	}
}

func numberMin(lo float64) valueCheck {
	return func(v any) error {
		f, ok := v.(float64)
		if !ok {
			return errors.New("must be a number")
		}
		if f < lo {
			return fmt.Errorf("must be at least %g", lo)
		}
		return nil
	}
}

func oneOf(values ...string) valueCheck {
	return func(v any) error {
		s, ok := v.(string)
		if ok {
			for _, want := range values {
				if s == want {
					return nil
				}
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(values, ", "))
	}
}

func matching(re *regexp.Regexp) valueCheck {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return errors.New("must be a string")
		}
		if !re.MatchString(s) {
			return fmt.Errorf("must match %s", re)
		}
		return nil
	}
}

func arrayOf(item valueCheck, minItems int) valueCheck {
	return func(v any) error {
		arr, ok := v.([]any)
		if !ok {
			return errors.New("must be an array")
		}
		if len(arr) < minItems {
			return fmt.Errorf("needs at least %d item(s)", minItems)
		}
		for i, x := range arr {
			if err := item(x); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	}
}

// object checks a nested object with additionalProperties false.
func object(props map[string]valueCheck, required ...string) valueCheck {
	return func(v any) error {
		obj, ok := v.(map[string]any)
		if !ok {
			return errors.New("must be an object")
		}
		for _, r := range required {
			if _, ok := obj[r]; !ok {
				return fmt.Errorf("%q is required", r)
			}
		}
		for k, x := range obj {
			check, ok := props[k]
			if !ok {
				return fmt.Errorf("unexpected property %q", k)
			}
			if err := check(x); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		return nil
	}
}
