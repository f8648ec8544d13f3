// Package export renders recorded deliveries for other tools: curl command lines (the
// inspector's "Copy as curl" and `relay-client export --format curl`), JSON lines
// (`--format jsonl`) and HAR 1.2 (`--format har`).
//
// # Streaming
//
// An export may cover 10,000 records of up to 10 MiB a body. [Each] pages through the
// list with its cursor and fetches each record only when its turn comes, and [JSONL]
// and [CurlScript] write a record as soon as they get it, so an export holds one page
// of summaries (store.MaxLimit) and one record, whatever its length. [HARLog] holds
// every record until Close: a HAR file is one JSON document, written indented as a
// whole, and the tools that read it load it whole anyway.
//
// # curl
//
// A command must make curl send the recorded request again byte for byte: the same
// method, request target, header fields and body. curl would otherwise change them, so:
//
//   - the body is never a shell word curl interprets: text goes in --data-raw (where a
//     leading "@" is data, not a file name); a body that is binary, has control
//     characters other than tab and newline, is truncated or is over the inline cap is
//     read with --data-binary @FILE from [BodyFile], the name the inspector's download
//     offers (`export` writes it from a here-document in its script);
//   - headers curl adds by itself are removed when the delivery had none: "User-Agent:",
//     "Accept:", "Content-Type:" (curl's form default) and "Expect:" (curl asks for 100
//     Continue above 1 KiB, or 1 MiB in newer versions);
//   - an empty header value is written "Name;", curl's only form for it;
//   - --globoff when the target has [ ] { } (curl's URL globbing), --path-as-is when
//     the path has "." or ".." segments (curl would squash them);
//   - Host, Content-Length and the hop-by-hop fields are left to curl.
//
// # HAR
//
// Entries follow HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the URL is
// the public one the sender used (path-form URLs keep /t/NAME), queryString lists the
// decoded query pairs in order, a body that is not UTF-8 is base64 with
// "encoding": "base64", and a compressed response body (Content-Encoding gzip, br...)
// is base64 as recorded, its size the recorded size, with a comment saying it is not
// decoded.
package export
