// Package protect keeps personal values safe at rest and on screen.
//
// The notice (docs/POLICY.md §2) marks passport, alien-registration and payment
// account numbers as encrypted at rest, as PIPA 24③ and 24조의2 require, so
// stores seal those values with a [Keyring] before they reach the database
// and open them only to answer a request. Everything the portal shows to
// staff, or writes anywhere a person other than the subscriber may read it,
// goes through [Mask] first. Data feeds check incoming values with
// [Validate], whose errors never repeat the value, because values are
// personal data and errors end up in logs.
//
// The package has no state beyond a parsed Keyring and no dependency on the
// rest of the portal, so every layer may use it.
package protect
