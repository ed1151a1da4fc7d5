package checks

import (
	"fmt"

	"github.com/backlogai/backlogai/server/domain"
)

// CodeLinkedDuplicate marks an issue the team linked as a duplicate of
// another ("duplicates X"): it is work to close or merge, not to schedule.
const CodeLinkedDuplicate = "linked_duplicate"

// LinkedDuplicateFinding is the finding for an issue linked as a duplicate
// of otherKey, for the engine to Add. It replaces the near-duplicate
// warning the link answered, so that linking never raises the quality.
func LinkedDuplicateFinding(otherKey string) domain.Finding {
	return domain.Finding{
		Code:      CodeLinkedDuplicate,
		Letter:    letterNone,
		Criterion: criterionUnique,
		Severity:  domain.SeverityWarning,
		Message:   fmt.Sprintf("Linked as a duplicate of %s: close or merge it.", otherKey),
		Fix:       fmt.Sprintf("Close this issue as a duplicate of %s, or merge what it adds into %s.", otherKey, otherKey),
		Source:    sourceRule,
	}
}
