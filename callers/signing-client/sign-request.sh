#!/usr/bin/env bash
# Gets a Coze access token from the token Worker's signed public route with openssl and curl,
# and prints the JSON response. The same scheme as sign-request.ts, written out step by step.
#
# Usage:
#   COZE_TOKEN_CALLER=billing COZE_TOKEN_KEY_ID=k1 COZE_TOKEN_SECRET=<base64url> \
#     bash sign-request.sh https://tokens.example.com/v1/token '{"subject":"u42"}'
#
# The body defaults to {}. It is sent byte for byte as given, and its SHA-256 is signed.
# COZE_TOKEN_DRY_RUN=1 prints the signed string and the headers instead of sending; only then do
# COZE_TOKEN_TIMESTAMP and COZE_TOKEN_NONCE fix the timestamp and nonce (to check a test vector).
#
# Needs bash, openssl (1.1 or 3) and curl. NOTE: openssl receives the key as a hex argument, so
# other users of the machine can see it in the process list while openssl runs. Use the Node.js
# client (cli.mjs) on shared machines.
set -euo pipefail

scheme="COZE-TOKEN-HMAC-SHA256"
content_type="application/json"

fail() {
  echo "$1" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || fail "Usage: bash sign-request.sh <url> [json-body]"
url=$1
body=${2-'{}'}
caller=${COZE_TOKEN_CALLER:?COZE_TOKEN_CALLER is not set}
key_id=${COZE_TOKEN_KEY_ID:?COZE_TOKEN_KEY_ID is not set}
secret=${COZE_TOKEN_SECRET:?COZE_TOKEN_SECRET is not set}

# Host and path exactly as a URL parser gives them: lowercase host, default port dropped.
[[ $url =~ ^(https?)://([^/?#]+)(/[^?#]*)$ ]] ||
  fail "The URL must look like https://host/v1/token, with no query or fragment."
url_scheme=${BASH_REMATCH[1]}
host=${BASH_REMATCH[2],,}
path=${BASH_REMATCH[3]}
[[ $url_scheme == https && $host == *:443 ]] && host=${host%:443}
[[ $url_scheme == http && $host == *:80 ]] && host=${host%:80}

if [[ ${COZE_TOKEN_DRY_RUN:-} == 1 ]]; then
  timestamp=${COZE_TOKEN_TIMESTAMP:-$(date +%s)}
  nonce=${COZE_TOKEN_NONCE:-}
elif [[ -n ${COZE_TOKEN_TIMESTAMP:-}${COZE_TOKEN_NONCE:-} ]]; then
  fail "COZE_TOKEN_TIMESTAMP and COZE_TOKEN_NONCE work only with COZE_TOKEN_DRY_RUN=1."
else
  timestamp=$(date +%s)
  nonce=
fi
# 16 random bytes as unpadded base64url: 22 characters.
[[ -n $nonce ]] || nonce=$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')

# The secret is unpadded base64url; openssl wants the key as hex.
padded=$(printf '%s' "$secret" | tr '_-' '/+')
while ((${#padded} % 4)); do padded+="="; done
key_hex=$(printf '%s' "$padded" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n')
((${#key_hex} >= 64)) || fail "COZE_TOKEN_SECRET must decode to at least 32 bytes."

body_sha256=$(printf '%s' "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)

# Eleven lines joined by \n, no trailing newline. The query line is empty.
canonical=$(printf '%s\n' "$scheme" "$caller" "$key_id" "$timestamp" "$nonce" "POST" "$host" \
  "$path" "" "$content_type" "$body_sha256")
signature=$(printf '%s' "$canonical" |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key_hex" -r | cut -d' ' -f1)

authorization="$scheme Credential=$caller/$key_id, Timestamp=$timestamp, Nonce=$nonce, Signature=$signature"

if [[ ${COZE_TOKEN_DRY_RUN:-} == 1 ]]; then
  printf '%s\n\nAuthorization: %s\nContent-Type: %s\nBody: %s\n' \
    "$canonical" "$authorization" "$content_type" "$body"
  exit 0
fi

curl --silent --show-error --fail-with-body --request POST \
  --header "Authorization: $authorization" \
  --header "Content-Type: $content_type" \
  --data-binary "$body" \
  "$url"
echo
