#!/usr/bin/env bash
# Makes the loopback HTTPS test certificates (run from this directory; committed output):
# a private CA (ca.pem, key discarded) and a leaf for IP 127.0.0.1 signed by it
# (server.pem, server.key). Valid for 100 years; no secret of any real system.
set -euo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
    -subj "/CN=multicloud test CA" -keyout "$tmp/ca.key" -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$tmp/server.key" -out "$tmp/server.csr"
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' > "$tmp/ext"
openssl x509 -req -in "$tmp/server.csr" -CA ca.pem -CAkey "$tmp/ca.key" -CAcreateserial -CAserial "$tmp/ca.srl" \
    -days 36500 -extfile "$tmp/ext" -out server.pem
openssl pkcs8 -topk8 -nocrypt -in "$tmp/server.key" -out server.key
