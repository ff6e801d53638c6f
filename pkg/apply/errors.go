package apply

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
)

// describe turns an API error into the one line a user needs.
func describe(r Result, err error) error {
	verb := "applying"
	if r.Kind == "Namespace" {
		verb = "creating"
	}
	var status apierrors.APIStatus
	if apierrors.IsConflict(err) && errors.As(err, &status) {
		var fields []string
		owners := map[string]bool{}
		if d := status.Status().Details; d != nil {
			for _, c := range d.Causes {
				if c.Type == metav1.CauseTypeFieldManagerConflict {
					fields = append(fields, c.Field)
					owners[c.Message] = true
				}
			}
		}
		if len(fields) > 0 {
			var who []string
			for o := range owners {
				who = append(who, o)
			}
			return fmt.Errorf("%s %s: %s owned by another field manager (%s); rerun with --force-conflicts to take them over: %w",
				verb, r.Ref(), strings.Join(fields, ", "), strings.Join(who, "; "), errConflict)
		}
	}
	return fmt.Errorf("%s %s: %w", verb, r.Ref(), access.Explain(err))
}

// ErrNameTaken marks an object whose name another run already uses.
var ErrNameTaken = errors.New("name taken by another run")

// errConflict marks field-ownership conflicts.
var errConflict = errors.New("field manager conflict")

// IsConflict reports whether err is a field-ownership conflict.
func IsConflict(err error) bool { return errors.Is(err, errConflict) }
