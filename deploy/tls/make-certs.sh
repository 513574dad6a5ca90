#!/usr/bin/env bash
# Makes the certificates of a Chorus cluster link with mutual TLS (deploy/tls/artery-tls.conf):
# a private CA, one key store per node signed by it, and a trust store holding the CA alone.
#
#   deploy/tls/make-certs.sh DIR [N]         N nodes, default 3: DIR/node-1.p12 ... node-N.p12
#   deploy/tls/make-certs.sh --pem DIR [N]   also DIR/node-I.key, PEM files for Kubernetes
#
# Run it again on the same DIR with a larger N to add nodes: what exists is kept (the CA, the
# stores, the passwords), only what is missing is made. Another DIR is another CA, whose nodes
# the first one's refuse.
#
# In DIR (PKCS12 stores, which Java reads; private files are mode 600):
#   ca.p12                the CA's private key. It signs nodes: keep it off the nodes, and
#                         somewhere safe (whoever holds it can make members of the cluster)
#   ca.crt                the CA's certificate (PEM)
#   truststore.p12        the CA's certificate alone: the trust store of every node
#   node-I.p12            node I's key store: its private key and its certificate, signed by the CA
#   node-I.crt            node I's certificate (PEM), to inspect (openssl x509 -text -in ...)
#   node-I.key            --pem only (needs openssl): node I's private key, PEM (PKCS#8); with
#                         node-I.crt and ca.crt it makes the Secret of deploy/kubernetes/tls
#   ca-password, key-store-password, trust-store-password    the stores' passwords
#
# Then, for node I:
#   CHORUS_CLUSTER_TLS_KEY_STORE=DIR/node-I.p12 \
#   CHORUS_CLUSTER_TLS_KEY_STORE_PASSWORD="$(cat DIR/key-store-password)" \
#   CHORUS_CLUSTER_TLS_TRUST_STORE=DIR/truststore.p12 \
#   CHORUS_CLUSTER_TLS_TRUST_STORE_PASSWORD="$(cat DIR/trust-store-password)" \
#     java -jar chorus.jar serve --config deploy/tls/artery-tls.conf ...
# (deploy/local/cluster.sh does this with CHORUS_CLUSTER_TLS=1.)
#
# Every node certificate has the same subject name, CN and DNS SubjectAltName = the cluster
# name (the RotatingKeysSSLEngineProvider of deploy/kubernetes/tls accepts only peers that
# share a name with its own certificate), an organizational unit node-I to tell them apart,
# and is valid for client and server authentication (each node is both).
#
# Environment:
#   CHORUS_CLUSTER_TLS_NAME       the cluster name in the certificates (default chorus-cluster)
#   CHORUS_CLUSTER_TLS_DAYS       validity of new node certificates in days (default 365);
#                                 the CA's is 10 years
#   CHORUS_CLUSTER_TLS_KEY_STORE_PASSWORD, CHORUS_CLUSTER_TLS_TRUST_STORE_PASSWORD
#                                 passwords for a new DIR (unset: random); an existing DIR
#                                 keeps the ones in its password files
#   KEYTOOL                       the keytool to run (default: $JAVA_HOME/bin/keytool, else PATH)
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  echo "make-certs.sh: $*" >&2
  exit 1
}

pem=false
if [[ ${1:-} == --pem ]]; then
  pem=true
  shift
fi
case ${1:-} in
  -h | --help) usage; exit 0 ;;
  "" | -*) usage >&2; exit 2 ;;
esac
dir=$1
nodes=${2:-3}
[[ $nodes =~ ^[0-9]+$ ]] && ((nodes >= 1 && nodes <= 100)) || die "N must be a number of nodes (1-100), got '$nodes'"
name="${CHORUS_CLUSTER_TLS_NAME:-chorus-cluster}"
days="${CHORUS_CLUSTER_TLS_DAYS:-365}"
[[ $name =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || die "CHORUS_CLUSTER_TLS_NAME must be a DNS name, got '$name'"
[[ $days =~ ^[0-9]+$ ]] && ((days >= 1)) || die "CHORUS_CLUSTER_TLS_DAYS must be a number of days, got '$days'"

if [[ -n ${KEYTOOL:-} ]]; then
  keytool=$KEYTOOL
elif [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/keytool ]]; then
  keytool=$JAVA_HOME/bin/keytool
else
  keytool="$(command -v keytool || true)"
fi
[[ -n $keytool && -x $keytool ]] || die "no keytool found: install a JDK (keytool comes with it) or set KEYTOOL or JAVA_HOME"
if $pem && ! command -v openssl >/dev/null; then
  die "--pem needs openssl (keytool cannot write a private key as PEM)"
fi

# keytool is a JVM started for each step: start it lean. Its chatter is shown only if it fails.
kt() {
  local out
  if ! out="$("$keytool" -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "keytool $1 failed"
  fi
}

mkdir -p "$dir"
umask 077

# A password from its file in DIR; else from the given variable, or random; saved in the file.
password() {
  local file="$dir/$1" from_env=$2
  if [[ ! -s $file ]]; then
    if [[ -n $from_env ]]; then
      printf '%s\n' "$from_env" >"$file"
    else
      od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$file"
      echo >>"$file"
    fi
  fi
  head -n 1 "$file"
}
# keytool reads them from the environment (-storepass:env), not from its command line, which
# any user of the machine can see.
CA_PASSWORD="$(password ca-password "")"
KEY_STORE_PASSWORD="$(password key-store-password "${CHORUS_CLUSTER_TLS_KEY_STORE_PASSWORD:-}")"
TRUST_STORE_PASSWORD="$(password trust-store-password "${CHORUS_CLUSTER_TLS_TRUST_STORE_PASSWORD:-}")"
export CA_PASSWORD KEY_STORE_PASSWORD TRUST_STORE_PASSWORD
((${#KEY_STORE_PASSWORD} >= 6 && ${#TRUST_STORE_PASSWORD} >= 6)) || die "passwords must have 6 characters at least (keytool)"

made=()

# The CA: a self-signed root that may sign certificates (basic constraints CA, key usage
# keyCertSign) but no other CA under it (pathlen 0). An EC key (P-384): as strong as RSA 7680,
# and made in an instant where an RSA key of 3072 bits takes keytool seconds.
if [[ ! -f $dir/ca.p12 ]]; then
  kt -genkeypair -keystore "$dir/ca.p12" -storetype PKCS12 -storepass:env CA_PASSWORD \
    -alias ca -keyalg EC -groupname secp384r1 -validity 3650 \
    -dname "CN=$name CA, O=Chorus" \
    -ext bc:c=ca:true,pathlen:0 -ext ku:c=keyCertSign,cRLSign
  rm -f "$dir/ca.crt" "$dir/truststore.p12"
  made+=("ca.p12")
fi
if [[ ! -f $dir/ca.crt ]]; then
  kt -exportcert -keystore "$dir/ca.p12" -storepass:env CA_PASSWORD -alias ca -rfc -file "$dir/ca.crt"
  chmod 644 "$dir/ca.crt"
  made+=("ca.crt")
fi
# The trust store: the CA's certificate and nothing else (not the JDK's cacerts).
if [[ ! -f $dir/truststore.p12 ]]; then
  kt -importcert -keystore "$dir/truststore.p12" -storetype PKCS12 -storepass:env TRUST_STORE_PASSWORD \
    -alias chorus-cluster-ca -file "$dir/ca.crt" -noprompt
  made+=("truststore.p12")
fi

for ((i = 1; i <= nodes; i++)); do
  store="$dir/node-$i.p12"
  if [[ ! -f $store ]]; then
    tmp="$dir/.node-$i.p12.tmp"
    rm -f "$tmp" "$dir/node-$i.csr" "$dir/node-$i.crt"
    # The node's key pair (RSA: the PEM provider of deploy/kubernetes/tls reads RSA keys only).
    kt -genkeypair -keystore "$tmp" -storetype PKCS12 -storepass:env KEY_STORE_PASSWORD \
      -alias node -keyalg RSA -keysize 2048 -validity "$days" \
      -dname "CN=$name, OU=node-$i, O=Chorus"
    kt -certreq -keystore "$tmp" -storepass:env KEY_STORE_PASSWORD -alias node -file "$dir/node-$i.csr"
    # Signed by the CA: usable as server and as client (each node is both), for the cluster name.
    kt -gencert -keystore "$dir/ca.p12" -storepass:env CA_PASSWORD -alias ca \
      -infile "$dir/node-$i.csr" -outfile "$dir/node-$i.crt" -rfc -validity "$days" \
      -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth,clientAuth -ext "san=dns:$name"
    # The signed certificate replaces the self-signed one, with the CA above it in the chain.
    kt -importcert -keystore "$tmp" -storepass:env KEY_STORE_PASSWORD -alias ca -file "$dir/ca.crt" -noprompt
    kt -importcert -keystore "$tmp" -storepass:env KEY_STORE_PASSWORD -alias node -file "$dir/node-$i.crt"
    rm -f "$dir/node-$i.csr"
    chmod 644 "$dir/node-$i.crt"
    mv "$tmp" "$store"
    rm -f "$dir/node-$i.key"
    made+=("node-$i.p12")
  fi
  if $pem && [[ ! -f $dir/node-$i.key ]]; then
    # PKCS#8, unencrypted: what Pekko's RotatingKeysSSLEngineProvider reads (and cert-manager writes).
    openssl pkcs12 -in "$store" -passin env:KEY_STORE_PASSWORD -nocerts -nodes 2>/dev/null |
      openssl pkey -out "$dir/node-$i.key"
    made+=("node-$i.key")
  fi
done

if ((${#made[@]} > 0)); then
  echo "made in $dir: ${made[*]}"
else
  echo "$dir already has the CA and $nodes node key store(s)"
fi
