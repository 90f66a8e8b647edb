#!/usr/bin/env bash
# A first session with the API, against ./bassin start and its demo tenant (needs curl and jq).
set -euo pipefail
API=${BASSIN_URL:-http://127.0.0.1:8000}/api/v1
echo '$ curl -s -X POST $API/auth/login -d {"email":"gerant@piscines-demo.fr",...}'
TOKEN=$(curl -s -X POST $API/auth/login -H 'Content-Type: application/json' \
  -d '{"email":"gerant@piscines-demo.fr","password":"bassin-demo-2026"}' | jq -r .access_token)
echo "token: ${TOKEN:0:40}…"
H="Authorization: Bearer $TOKEN"
echo '$ curl -s "$API/inventory/articles?q=galets" -H "$H"'
ARTICLE=$(curl -s "$API/inventory/articles?q=galets" -H "$H" | jq -c '.items[0]')
echo "$ARTICLE"
ID=$(echo "$ARTICLE" | jq -r .id)
echo '$ curl -s -X POST $API/pos/sales -H "$H" -d {lines: 31 x CHL-GAL-5KG, payments: cash + card}'
curl -s -X POST $API/pos/sales -H "$H" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
  -d "{\"lines\":[{\"article_id\":\"$ID\",\"quantity\":31}],\"payments\":[{\"method\":\"cash\",\"amount\":\"200.00\"},{\"method\":\"card\",\"amount\":\"1036.90\"}]}" | jq -c '{id, total, vat_total, payments}'
sleep 1
echo '$ curl -s $API/inventory/articles/$ID -H "$H" | jq .stock'
curl -s $API/inventory/articles/$ID -H "$H" | jq -c '.stock[] | {location_name, quantity, minimum, maximum}'
echo '$ curl -s $API/inventory/supplier-basket/lines -H "$H"'
curl -s $API/inventory/supplier-basket/lines -H "$H" | jq -c '.items[] | {supplier_name, sku, quantity}'
