#!/bin/sh
# The `sasl` profile's broker (docker-compose.yml), in the apache/kafka image: formats the storage on
# first start, with the SCRAM users of scram-users.txt, then runs the broker with its JAAS file.
set -eu
dir=${CHESANTO_SASL_DIR:-/etc/chesanto/kafka-sasl}
kafka=${KAFKA_HOME:-/opt/kafka}

set --
while read -r name password; do
  case "$name" in ''|'#'*) continue ;; esac
  set -- "$@" --add-scram "SCRAM-SHA-512=[name=$name,password=$password]"
done < "$dir/scram-users.txt"

# A fixed cluster id (any 16 bytes in URL-safe base64); --ignore-formatted keeps the data of a restart.
"$kafka/bin/kafka-storage.sh" format --standalone --ignore-formatted -t 4L6g3nShT-eMCtK--X86sw \
  -c "$dir/server.properties" "$@"
export KAFKA_OPTS="-Djava.security.auth.login.config=$dir/kafka_server_jaas.conf"
exec "$kafka/bin/kafka-server-start.sh" "$dir/server.properties"
