package feed

import (
	"errors"

	"github.com/xroshot/portal/apperr"
)

func isNotFound(err error) bool { return errors.Is(err, apperr.ErrNotFound) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
