#!/bin/sh
# Makes the TLS tests' certificates with the openssl command: make_certs.sh DIR
#   ca.pem/.key, other_ca.pem/.key   two unrelated CAs
#   server.pem/.key                  localhost, 127.0.0.1, ::1 (serial 1001), signed by ca
#   expired.pem                      the same names and key, expired (serial 1002)
#   client.pem/.key                  a client certificate (CN=client), signed by ca
#   *.der, server_enc.key            DER forms; the server key encrypted with "secret"
set -eu
cd "$1"
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
for name in ca other_ca; do
  openssl req -x509 $ec -days 30 -subj "/O=usocket tests/CN=$name" -keyout $name.key -out $name.pem \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
done
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' >server.ext
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n' >client.ext
openssl req $ec -subj "/C=DE/O=usocket/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 0x1001 -days 30 -extfile server.ext -out server.pem 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 0x1002 -days -1 -extfile server.ext -out expired.pem 2>/dev/null
openssl req $ec -subj "/CN=client" -keyout client.key -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -set_serial 0x1003 -days 30 -extfile client.ext -out client.pem 2>/dev/null
openssl x509 -in ca.pem -outform DER -out ca.der
openssl x509 -in server.pem -outform DER -out server.der
openssl pkey -in server.key -outform DER -out server.key.der
# The classic PEM encryption (DEK-Info), which mbedTLS 2.28 reads too (not PKCS#8 with AES).
openssl pkey -in server.key -traditional -aes128 -passout pass:secret -out server_enc.key
