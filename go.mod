module github.com/backlogai/backlogai

go 1.26.8

require github.com/golang-jwt/jwt/v5 v5.3.1

require (
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	golang.org/x/text v0.14.0 // indirect
)
