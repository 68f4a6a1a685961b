"""Single sign-on with the council's OpenID Connect provider."""
