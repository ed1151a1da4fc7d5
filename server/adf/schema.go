package adf

import "regexp"

// This file writes out ../shared/contracts/adf.schema.json (from
// @atlaskit/adf-schema) as Go tables. Names in nodeDefs are the schema's
// definition names, so a reader can compare them side by side; where the
// schema builds a variant with allOf (paragraph_with_no_marks_node = paragraph
// + "no marks") the variant here is the merged result.

type marksKind uint8

const (
	marksForbidden marksKind = iota // no "marks" property
	marksAny                        // any array
	marksNone                       // an empty array
	marksFrom                       // every mark one of types
)

type markRule struct {
	kind  marksKind
	types []string
}

type attrShape struct {
	props    map[string]valueCheck
	required []string
}

type contentRule struct {
	items []string   // allowed definitions for every item (anyOf)
	tuple [][]string // positional alternative to items
	min   int
	max   int // 0: unbounded
}

type nodeDef struct {
	typ             string
	open            bool        // additionalProperties: true
	attrs           []attrShape // nil: no attrs property; several: anyOf
	attrsRequired   bool
	content         *contentRule // nil: no content property
	contentRequired bool
	marks           markRule
	text            bool // has a required non-empty "text"
}

var (
	hexColor6       = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	hexColor6or8    = regexp.MustCompile(`^#[0-9a-fA-F]{8}$|^#[0-9a-fA-F]{6}$`)
	statusColour    = regexp.MustCompile(`^(neutral|purple|blue|red|yellow|green|#[0-9a-fA-F]{6})$`)
	layouts         = oneOf("wide", "full-width", "center", "wrap-right", "wrap-left", "align-end", "align-start")
	extensionLayout = oneOf("wide", "full-width", "default")
	valign          = oneOf("top", "middle", "bottom")
)

func marks(types ...string) markRule { return markRule{kind: marksFrom, types: types} }

func shape(props map[string]valueCheck, required ...string) []attrShape {
	return []attrShape{{props: props, required: required}}
}

// localIDOnly is the attrs of the many nodes whose only attribute is localId.
func localIDOnly() []attrShape { return shape(map[string]valueCheck{"localId": str}) }

// markDefs maps each mark type to its attributes (nil: none allowed).
var markDefs = map[string][]attrShape{
	"alignment":       shape(map[string]valueCheck{"align": oneOf("center", "end")}, "align"),
	"annotation":      shape(map[string]valueCheck{"id": str, "annotationType": oneOf("inlineComment")}, "id", "annotationType"),
	"backgroundColor": shape(map[string]valueCheck{"color": matching(hexColor6)}, "color"),
	"border":          shape(map[string]valueCheck{"size": numberIn(1, 3), "color": matching(hexColor6or8)}, "size", "color"),
	"breakout":        shape(map[string]valueCheck{"mode": oneOf("wide", "full-width"), "width": number}, "mode"),
	"code":            nil,
	"dataConsumer":    shape(map[string]valueCheck{"sources": arrayOf(str, 1)}, "sources"),
	"em":              nil,
	"fontSize":        shape(map[string]valueCheck{"fontSize": oneOf("small")}, "fontSize"),
	"fragment":        shape(map[string]valueCheck{"localId": nonEmptyStr, "name": str}, "localId"),
	"indentation":     shape(map[string]valueCheck{"level": numberIn(1, 6)}, "level"),
	"link": shape(map[string]valueCheck{
		"href": str, "title": str, "id": str, "collection": str, "occurrenceKey": str,
	}, "href"),
	"strike":    nil,
	"strong":    nil,
	"subsup":    shape(map[string]valueCheck{"type": oneOf("sub", "sup")}, "type"),
	"textColor": shape(map[string]valueCheck{"color": matching(hexColor6)}, "color"),
	"underline": nil,
}

// Content lists the schema names as separate definitions.
var (
	docContent = []string{
		"blockCard_node", "codeBlock_node", "mediaSingle_caption_node", "mediaSingle_full_node",
		"paragraph_with_alignment_node", "paragraph_with_indentation_node", "paragraph_with_no_marks_node",
		"taskList_node", "orderedList_node", "bulletList_node", "blockquote_node", "decisionList_node",
		"embedCard_node", "extension_with_marks_node", "heading_with_indentation_node",
		"heading_with_no_marks_node", "heading_with_alignment_node", "mediaGroup_node", "rule_node",
		"panel_node", "table_node", "bodiedExtension_with_marks_node", "expand_node",
		"codeBlock_root_only_node", "layoutSection_full_node", "expand_root_only_node",
		"syncBlock_node", "bodiedSyncBlock_node",
	}
	blockContent = []string{
		"blockCard_node", "paragraph_with_no_marks_node", "paragraph_with_alignment_node",
		"paragraph_with_indentation_node", "mediaSingle_caption_node", "mediaSingle_full_node",
		"codeBlock_node", "taskList_node", "bulletList_node", "orderedList_node",
		"heading_with_no_marks_node", "heading_with_alignment_node", "heading_with_indentation_node",
		"mediaGroup_node", "decisionList_node", "rule_node", "panel_node", "blockquote_node",
		"extension_with_marks_node", "embedCard_node", "table_node", "expand_node",
		"bodiedExtension_with_marks_node",
	}
	nonNestableBlockContent = []string{
		"paragraph_with_no_marks_node", "paragraph_with_font_size_node", "panel_node", "blockquote_node",
		"orderedList_node", "bulletList_node", "rule_node", "heading_with_no_marks_node", "codeBlock_node",
		"mediaGroup_node", "mediaSingle_caption_node", "mediaSingle_full_node", "decisionList_node",
		"taskList_node", "table_node", "blockCard_node", "embedCard_node", "extension_with_marks_node",
	}
	inlineContent = []string{
		"formatted_text_inline_node", "code_inline_node", "date_node", "emoji_node", "hardBreak_node",
		"inlineCard_node", "mention_node", "placeholder_node", "status_node",
		"inlineExtension_with_marks_node", "mediaInline_node",
	}
	tableCellContent = []string{
		"paragraph_with_no_marks_node", "paragraph_with_alignment_node", "panel_node", "blockquote_node",
		"orderedList_node", "bulletList_node", "rule_node", "heading_with_no_marks_node",
		"heading_with_alignment_node", "heading_with_indentation_node", "codeBlock_node",
		"mediaSingle_caption_node", "mediaSingle_full_node", "mediaGroup_node", "decisionList_node",
		"taskList_node", "blockCard_node", "embedCard_node", "extension_with_marks_node",
		"nestedExpand_with_no_marks_node",
	}
	nestedExpandContent = []string{
		"paragraph_with_no_marks_node", "paragraph_with_font_size_node", "heading_with_no_marks_node",
		"mediaSingle_caption_node", "mediaSingle_full_node", "mediaGroup_node", "codeBlock_node",
		"bulletList_node", "orderedList_node", "taskList_node", "decisionList_node", "rule_node",
		"panel_node", "blockquote_node", "extension_with_marks_node",
	}
	expandContent = append(append([]string{}, nonNestableBlockContent...), "nestedExpand_with_no_marks_node")
	taskItemParts = []string{
		"paragraph_with_no_marks_node", "paragraph_with_font_size_node", "extension_with_marks_node",
	}
	syncBlockContent = []string{
		"paragraph_node", "paragraph_with_alignment_node", "paragraph_with_indentation_node",
		"paragraph_with_no_marks_node", "blockCard_node", "blockquote_node", "bulletList_node",
		"codeBlock_node", "decisionList_node", "embedCard_node", "expand_node", "heading_node",
		"heading_with_alignment_node", "heading_with_indentation_node", "heading_with_no_marks_node",
		"layoutSection_node", "layoutSection_full_node", "mediaGroup_node", "mediaSingle_node",
		"mediaSingle_caption_node", "mediaSingle_full_node", "orderedList_node", "panel_node",
		"rule_node", "table_node", "taskList_node",
	}
)

func list(items []string, min int) *contentRule { return &contentRule{items: items, min: min} }

// nodeDefs holds every node definition of the schema by its schema name.
var nodeDefs = buildNodeDefs()

// knownTypes is the set of node type names the schema knows.
var knownTypes = func() map[string]struct{} {
	m := map[string]struct{}{"doc": {}}
	for _, d := range nodeDefs {
		m[d.typ] = struct{}{}
	}
	return m
}()

func buildNodeDefs() map[string]*nodeDef {
	d := map[string]*nodeDef{}

	d["blockCard_node"] = &nodeDef{typ: "blockCard", attrsRequired: true, attrs: []attrShape{
		{props: map[string]valueCheck{
			"localId": str, "url": str, "width": number, "layout": layouts,
			"datasource": object(map[string]valueCheck{
				"id":         str,
				"parameters": anyValue,
				"views": arrayOf(object(map[string]valueCheck{
					"properties": anyValue, "type": str,
				}, "type"), 1),
			}, "id", "parameters", "views"),
		}, required: []string{"datasource"}},
		{props: map[string]valueCheck{"url": str, "localId": str}, required: []string{"url"}},
		{props: map[string]valueCheck{"data": anyValue, "localId": str}, required: []string{"data"}},
	}}
	d["blockquote_node"] = &nodeDef{typ: "blockquote", attrs: localIDOnly(), contentRequired: true,
		content: list([]string{
			"paragraph_with_no_marks_node", "orderedList_node", "bulletList_node", "codeBlock_node",
			"mediaSingle_caption_node", "mediaSingle_full_node", "mediaGroup_node", "extension_with_marks_node",
		}, 1)}
	d["blockTaskItem_node"] = &nodeDef{typ: "blockTaskItem", attrsRequired: true, contentRequired: true,
		attrs:   shape(map[string]valueCheck{"localId": str, "state": oneOf("TODO", "DONE")}, "localId", "state"),
		content: &contentRule{tuple: [][]string{taskItemParts, taskItemParts}, min: 1}}

	extensionAttrs := map[string]valueCheck{
		"extensionKey": nonEmptyStr, "extensionType": nonEmptyStr, "parameters": anyValue,
		"text": str, "layout": extensionLayout, "localId": nonEmptyStr,
	}
	bodiedExtension := nodeDef{typ: "bodiedExtension", attrsRequired: true, contentRequired: true,
		marks:   markRule{kind: marksAny},
		attrs:   shape(extensionAttrs, "extensionKey", "extensionType"),
		content: list(nonNestableBlockContent, 1)}
	d["bodiedExtension_node"] = &bodiedExtension
	withMarks := bodiedExtension
	withMarks.marks = marks("dataConsumer", "fragment")
	d["bodiedExtension_with_marks_node"] = &withMarks

	syncAttrs := shape(map[string]valueCheck{"resourceId": str, "localId": str}, "resourceId", "localId")
	d["bodiedSyncBlock_node"] = &nodeDef{typ: "bodiedSyncBlock", attrsRequired: true, contentRequired: true,
		marks: marks("breakout"), attrs: syncAttrs, content: list(syncBlockContent, 1)}
	d["syncBlock_node"] = &nodeDef{typ: "syncBlock", attrsRequired: true, marks: marks("breakout"), attrs: syncAttrs}

	d["bulletList_node"] = &nodeDef{typ: "bulletList", attrs: localIDOnly(), contentRequired: true,
		content: list([]string{"listItem_node"}, 1)}
	d["orderedList_node"] = &nodeDef{typ: "orderedList", contentRequired: true,
		attrs:   shape(map[string]valueCheck{"order": numberMin(0), "localId": str}),
		content: list([]string{"listItem_node"}, 1)}
	d["listItem_node"] = &nodeDef{typ: "listItem", attrs: localIDOnly(), contentRequired: true,
		content: list([]string{
			"paragraph_with_font_size_node", "paragraph_with_no_marks_node", "bulletList_node",
			"orderedList_node", "taskList_node", "mediaSingle_caption_node", "mediaSingle_full_node",
			"codeBlock_node", "extension_with_marks_node",
		}, 1)}
	d["caption_node"] = &nodeDef{typ: "caption", attrs: localIDOnly(),
		content: list([]string{
			"hardBreak_node", "mention_node", "emoji_node", "date_node", "placeholder_node",
			"inlineCard_node", "status_node", "formatted_text_inline_node", "code_inline_node",
		}, 0)}

	codeAttrs := shape(map[string]valueCheck{
		"language": str, "uniqueId": str, "localId": str, "wrap": boolean, "hideLineNumbers": boolean,
	})
	d["codeBlock_node"] = &nodeDef{typ: "codeBlock", marks: markRule{kind: marksNone}, attrs: codeAttrs,
		content: list([]string{"text_with_no_marks_node"}, 0)}
	d["codeBlock_root_only_node"] = &nodeDef{typ: "codeBlock", marks: marks("breakout"), attrs: codeAttrs,
		content: list([]string{"text_with_no_marks_node"}, 0)}

	d["date_node"] = &nodeDef{typ: "date", attrsRequired: true,
		attrs: shape(map[string]valueCheck{"timestamp": nonEmptyStr, "localId": str}, "timestamp")}
	d["decisionItem_node"] = &nodeDef{typ: "decisionItem", attrsRequired: true,
		attrs:   shape(map[string]valueCheck{"localId": str, "state": str}, "localId", "state"),
		content: list(inlineContent, 0)}
	d["decisionList_node"] = &nodeDef{typ: "decisionList", attrsRequired: true, contentRequired: true,
		attrs:   shape(map[string]valueCheck{"localId": str}, "localId"),
		content: list([]string{"decisionItem_node"}, 1)}
	d["embedCard_node"] = &nodeDef{typ: "embedCard", attrsRequired: true,
		attrs: shape(map[string]valueCheck{
			"url": str, "layout": layouts, "width": numberIn(0, 100), "originalHeight": number,
			"originalWidth": number, "localId": str,
		}, "url", "layout")}
	d["emoji_node"] = &nodeDef{typ: "emoji", attrsRequired: true,
		attrs: shape(map[string]valueCheck{"shortName": str, "id": str, "text": str, "localId": str}, "shortName")}

	expandAttrs := shape(map[string]valueCheck{"title": str, "localId": str})
	d["expand_node"] = &nodeDef{typ: "expand", contentRequired: true, marks: markRule{kind: marksNone},
		attrs: expandAttrs, content: list(expandContent, 1)}
	d["expand_root_only_node"] = &nodeDef{typ: "expand", contentRequired: true, marks: marks("breakout"),
		attrs: expandAttrs, content: list(expandContent, 1)}
	d["nestedExpand_with_no_marks_node"] = &nodeDef{typ: "nestedExpand", attrsRequired: true,
		contentRequired: true, attrs: expandAttrs, content: list(nestedExpandContent, 1)}
	d["nestedExpand_node"] = d["nestedExpand_with_no_marks_node"]

	extension := nodeDef{typ: "extension", attrsRequired: true, marks: markRule{kind: marksAny},
		attrs: shape(extensionAttrs, "extensionKey", "extensionType")}
	d["extension_node"] = &extension
	extWithMarks := extension
	extWithMarks.marks = marks("dataConsumer", "fragment")
	d["extension_with_marks_node"] = &extWithMarks

	inlineExtension := nodeDef{typ: "inlineExtension", attrsRequired: true, marks: markRule{kind: marksAny},
		attrs: shape(map[string]valueCheck{
			"extensionKey": nonEmptyStr, "extensionType": nonEmptyStr, "parameters": anyValue,
			"text": str, "localId": nonEmptyStr,
		}, "extensionKey", "extensionType")}
	d["inlineExtension_node"] = &inlineExtension
	inlineExtWithMarks := inlineExtension
	inlineExtWithMarks.marks = marks("dataConsumer", "fragment")
	d["inlineExtension_with_marks_node"] = &inlineExtWithMarks

	d["hardBreak_node"] = &nodeDef{typ: "hardBreak",
		attrs: shape(map[string]valueCheck{"text": oneOf("\n"), "localId": str})}

	heading := nodeDef{typ: "heading", attrsRequired: true, marks: markRule{kind: marksAny},
		attrs:   shape(map[string]valueCheck{"level": numberIn(1, 6), "localId": str}, "level"),
		content: list(inlineContent, 0)}
	d["heading_node"] = &heading
	for name, rule := range map[string]markRule{
		"heading_with_alignment_node":   marks("alignment"),
		"heading_with_indentation_node": marks("indentation"),
		"heading_with_no_marks_node":    {kind: marksNone},
	} {
		v := heading
		v.marks = rule
		d[name] = &v
	}

	d["inlineCard_node"] = &nodeDef{typ: "inlineCard", attrsRequired: true, attrs: []attrShape{
		{props: map[string]valueCheck{"url": str, "localId": str}, required: []string{"url"}},
		{props: map[string]valueCheck{"data": anyValue, "localId": str}, required: []string{"data"}},
	}}

	d["layoutColumn_node"] = &nodeDef{typ: "layoutColumn", attrsRequired: true, contentRequired: true,
		attrs:   shape(map[string]valueCheck{"width": numberIn(0, 100), "localId": str, "valign": valign}, "width"),
		content: list(blockContent, 1)}
	d["layoutSection_node"] = &nodeDef{typ: "layoutSection", contentRequired: true, marks: marks("breakout"),
		attrs: localIDOnly(), content: list([]string{"layoutColumn_node"}, 0)}
	d["layoutSection_full_node"] = &nodeDef{typ: "layoutSection", contentRequired: true, marks: marks("breakout"),
		attrs: localIDOnly(), content: &contentRule{items: []string{"layoutColumn_node"}, min: 2, max: 3}}

	mediaMarks := marks("dataConsumer", "link", "annotation", "border")
	d["media_node"] = &nodeDef{typ: "media", attrsRequired: true, marks: mediaMarks, attrs: []attrShape{
		{props: map[string]valueCheck{
			"type": oneOf("link", "file"), "localId": str, "id": nonEmptyStr, "alt": str,
			"collection": str, "height": number, "occurrenceKey": nonEmptyStr, "width": number,
		}, required: []string{"type", "id", "collection"}},
		{props: map[string]valueCheck{
			"type": oneOf("external"), "localId": str, "alt": str, "height": number, "width": number, "url": str,
		}, required: []string{"type", "url"}},
	}}
	d["mediaGroup_node"] = &nodeDef{typ: "mediaGroup", contentRequired: true,
		content: list([]string{"media_node"}, 1)}
	d["mediaInline_node"] = &nodeDef{typ: "mediaInline", attrsRequired: true, marks: mediaMarks,
		attrs: shape(map[string]valueCheck{
			"type": oneOf("link", "file", "image"), "localId": str, "id": nonEmptyStr, "alt": str,
			"collection": str, "occurrenceKey": nonEmptyStr, "width": number, "height": number, "data": anyValue,
		}, "id", "collection")}

	// mediaSingle allows any other property (additionalProperties: true);
	// only its variants constrain content.
	mediaSingle := nodeDef{typ: "mediaSingle", open: true, marks: marks("link"), attrs: []attrShape{
		{props: map[string]valueCheck{
			"localId": str, "width": numberIn(0, 100), "layout": layouts, "widthType": oneOf("percentage"),
		}, required: []string{"layout"}},
		{props: map[string]valueCheck{
			"localId": str, "width": numberMin(0), "widthType": oneOf("pixel"), "layout": layouts,
		}, required: []string{"width", "widthType", "layout"}},
	}}
	d["mediaSingle_node"] = &mediaSingle
	caption := mediaSingle
	caption.contentRequired = true
	caption.content = &contentRule{tuple: [][]string{{"media_node"}, {"caption_node"}}, min: 1, max: 2}
	d["mediaSingle_caption_node"] = &caption
	full := mediaSingle
	full.contentRequired = true
	full.content = &contentRule{items: []string{"media_node"}, min: 1, max: 1}
	d["mediaSingle_full_node"] = &full

	d["mention_node"] = &nodeDef{typ: "mention", attrsRequired: true,
		attrs: shape(map[string]valueCheck{
			"id": str, "localId": str, "text": str, "accessLevel": str,
			"userType": oneOf("DEFAULT", "SPECIAL", "APP"),
		}, "id")}

	d["panel_node"] = &nodeDef{typ: "panel", attrsRequired: true, contentRequired: true,
		attrs: shape(map[string]valueCheck{
			"panelType": oneOf("info", "note", "tip", "warning", "error", "success", "custom"),
			"panelIcon": str, "panelIconId": str, "panelIconText": str, "panelColor": str, "localId": str,
		}, "panelType"),
		content: list([]string{
			"paragraph_with_no_marks_node", "paragraph_with_font_size_node", "heading_with_no_marks_node",
			"bulletList_node", "orderedList_node", "blockCard_node", "mediaGroup_node",
			"mediaSingle_caption_node", "mediaSingle_full_node", "codeBlock_node", "taskList_node",
			"rule_node", "decisionList_node", "extension_with_marks_node",
		}, 1)}

	paragraph := nodeDef{typ: "paragraph", marks: markRule{kind: marksAny}, attrs: localIDOnly(),
		content: list(inlineContent, 0)}
	d["paragraph_node"] = &paragraph
	for name, rule := range map[string]markRule{
		"paragraph_with_alignment_node":   marks("fontSize", "alignment"),
		"paragraph_with_font_size_node":   marks("fontSize"),
		"paragraph_with_indentation_node": marks("fontSize", "indentation"),
		"paragraph_with_no_marks_node":    {kind: marksNone},
	} {
		v := paragraph
		v.marks = rule
		d[name] = &v
	}

	d["placeholder_node"] = &nodeDef{typ: "placeholder", attrsRequired: true,
		attrs: shape(map[string]valueCheck{"text": str, "localId": str}, "text")}
	d["rule_node"] = &nodeDef{typ: "rule", attrs: localIDOnly()}
	d["status_node"] = &nodeDef{typ: "status", attrsRequired: true,
		attrs: shape(map[string]valueCheck{
			"text": nonEmptyStr, "color": matching(statusColour), "localId": str, "style": str,
		}, "text", "color")}

	cellAttrs := shape(map[string]valueCheck{
		"colspan": number, "rowspan": number, "colwidth": arrayOf(number, 0),
		"background": str, "localId": str, "valign": valign,
	})
	d["table_cell_node"] = &nodeDef{typ: "tableCell", attrs: cellAttrs, contentRequired: true,
		content: list(tableCellContent, 1)}
	d["table_header_node"] = &nodeDef{typ: "tableHeader", attrs: cellAttrs, contentRequired: true,
		content: list(tableCellContent, 1)}
	d["table_row_node"] = &nodeDef{typ: "tableRow", attrs: localIDOnly(), contentRequired: true,
		content: list([]string{"table_cell_node", "table_header_node"}, 0)}
	d["table_node"] = &nodeDef{typ: "table", contentRequired: true, marks: marks("fragment"),
		attrs: shape(map[string]valueCheck{
			"displayMode":           oneOf("default", "fixed"),
			"isNumberColumnEnabled": boolean,
			"layout":                oneOf("wide", "full-width", "center", "align-end", "align-start", "default"),
			"localId":               nonEmptyStr,
			"width":                 number,
		}),
		content: list([]string{"table_row_node"}, 1)}

	d["taskItem_node"] = &nodeDef{typ: "taskItem", attrsRequired: true,
		attrs:   shape(map[string]valueCheck{"localId": str, "state": oneOf("TODO", "DONE")}, "localId", "state"),
		content: list(inlineContent, 0)}
	d["taskList_node"] = &nodeDef{typ: "taskList", attrsRequired: true, contentRequired: true,
		attrs:   shape(map[string]valueCheck{"localId": str}, "localId"),
		content: list([]string{"taskItem_node", "taskList_node", "blockTaskItem_node"}, 1)}

	text := nodeDef{typ: "text", text: true, marks: markRule{kind: marksAny}}
	d["text_node"] = &text
	for name, rule := range map[string]markRule{
		"text_with_no_marks_node": {kind: marksNone},
		"formatted_text_inline_node": marks("link", "em", "strong", "strike", "subsup", "underline",
			"textColor", "annotation", "backgroundColor"),
		"code_inline_node": marks("code", "link", "annotation"),
	} {
		v := text
		v.marks = rule
		d[name] = &v
	}
	return d
}
