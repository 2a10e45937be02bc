"""Security proofs (issue 8, access): the route matrix, revoked access, downloads, mass assignment and the
workflow properties. Tests only; no models, no app config."""
