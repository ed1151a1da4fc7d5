package forge

// ActionTools maps each Rovo action of manifest.yml (its action module
// key, which the FIT names as app.module.key) to the assistant tool of
// server/tools that serves it: one registry of tools, two transports (MCP
// and Rovo). An action's inputs are a subset of its tool's inputs, with the
// same names, types and required flags (TestManifestActionsMatchTools).
func ActionTools() map[string]string {
	return map[string]string{
		"rank-backlog":    "list_backlog",
		"explain-score":   "explain_issue",
		"find-duplicates": "find_duplicates",
		"estimate-story":  "estimate_story",
		"check-story":     "check_story",
		"draft-stories":   "draft_stories",
	}
}

// ActionWaitSeconds is how long the draft-stories action waits for its
// drafts: Forge gives a remote 25 s to answer, so the action answers
// before that and the person polls with the run id if drafting goes on.
const ActionWaitSeconds = 20
