#!/bin/sh
# Make the TLS test certificates in DIR with the openssl command (nothing
# here is committed: every test run makes its own keys).
#
#   ca.crt ca.key              the CA ("dnp3gw test CA")
#   gateway.crt gateway.key    CN=gateway
#   ied.crt ied.key            CN=ied (a TCP IED behind TLS: dnp3sim)
#   master-a.crt .key          CN=master-a
#   master-b.crt .key          CN=master-b
#   expired.crt .key           CN=master-expired, valid 2020-01-01 .. 2021-01-01
#   revoked.crt .key           CN=master-revoked, revoked in crl.pem
#   other.crt .key             CN=master-a, but signed by other-ca.crt (another CA)
#   other-ca.crt other-ca.key  the other CA
#   crl-none.pem               the CA's CRL before the revocation (nothing revoked)
#   crl.pem                    the CA's CRL revoking revoked.crt
#   chain-a.pem                master-a.crt followed by ca.crt
#   old-ca.crt old-ca.key      a CA that expired (valid 2020-01-01 .. 2021-01-01)
#   quoted.crt .key            CN=master "quoted"\ (quotes and a backslash in a name)
#
# EC P-256 keys; every certificate may serve as client and as server
# (extendedKeyUsage serverAuth, clientAuth).  Usage: mkcerts.sh DIR
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077

ossl() {
        out=$(openssl "$@" 2>&1) || { echo "mkcerts: openssl $*: $out" >&2; exit 1; }
}

# one CA: its directory, config, key and self-signed certificate
mkca() {
        name=$1 cn=$2
        mkdir -p "$name.db"
        : > "$name.db/index.txt"
        echo 01 > "$name.db/serial"
        echo 01 > "$name.db/crlnumber"
        cat > "$name.cnf" <<CNF
[ ca ]
default_ca = theca
[ theca ]
dir = $name.db
database = $name.db/index.txt
serial = $name.db/serial
crlnumber = $name.db/crlnumber
new_certs_dir = $name.db
certificate = $name.crt
private_key = $name.key
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyAgreement
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ req ]
distinguished_name = dn
[ dn ]
[ caext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
        ossl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout "$name.key" -out "$name.crt" -subj "/CN=$cn" -days 3650 \
                -config "$name.cnf" -extensions caext
}

# a leaf signed by CA: NAME CN CA [startdate enddate]
mkleaf() {
        name=$1 cn=$2 ca=$3
        ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout "$name.key" -out "$name.csr" -subj "/CN=$cn" -config "$ca.cnf"
        if [ $# -ge 5 ]; then
                ossl ca -batch -config "$ca.cnf" -extensions leaf -in "$name.csr" -out "$name.crt" \
                        -startdate "$4" -enddate "$5" -notext
        else
                ossl ca -batch -config "$ca.cnf" -extensions leaf -in "$name.csr" -out "$name.crt" \
                        -notext
        fi
        rm -f "$name.csr"
}

mkca ca "dnp3gw test CA"
mkca other-ca "another CA"
mkleaf gateway gateway ca
mkleaf ied ied ca
mkleaf master-a master-a ca
mkleaf master-b master-b ca
mkleaf expired master-expired ca 20200101000000Z 20210101000000Z
mkleaf revoked master-revoked ca
mkleaf other master-a other-ca
mkleaf quoted 'master "quoted"\\' ca
ossl ca -config ca.cnf -gencrl -out crl-none.pem
ossl ca -config ca.cnf -revoke revoked.crt -crl_reason keyCompromise
ossl ca -config ca.cnf -gencrl -out crl.pem
cat master-a.crt ca.crt > chain-a.pem
# an expired CA: its own request signed by itself with past dates
mkca old-ca "an expired CA"
ossl req -new -key old-ca.key -out old-ca.csr -subj "/CN=an expired CA" -config old-ca.cnf
ossl ca -batch -selfsign -config old-ca.cnf -keyfile old-ca.key -extensions caext \
        -in old-ca.csr -out old-ca.crt -startdate 20200101000000Z -enddate 20210101000000Z -notext
rm -f old-ca.csr
