package web

// CSVSafe exposes csvSafe to the external tests.
var CSVSafe = csvSafe
