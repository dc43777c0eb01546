#!/usr/bin/env bash
# Speed of `perfhive scan` against ast-grep and Semgrep on the same real code (the corpora of
# bench/scan/corpus.sh: Python + JavaScript/TypeScript), each tool with comparable rules for the
# same anti-patterns (bench/scan/astgrep-rules/, bench/scan/semgrep-rules.yml; perfhive with its
# built-in rules, which are more numerous). Every tool is pinned to CPU 0 and single-threaded,
# run RUNS times interleaved; reported: median wall time, files/second (files each tool says
# it scanned), peak RSS (/usr/bin/time -v). Not run by CI.
#
#   bash bench/scan.sh                 # RUNS=5
#   RUNS=3 PERFHIVE=target/release/perfhive bash bench/scan.sh
#   CORPORA=heldout bash bench/scan.sh  # the held-out corpora of bench/scan/protocol.md
#   CORPORA=heldout2 bash bench/scan.sh # round 2's held-out corpora
#   CORPORA=heldout3 bash bench/scan.sh # round 3's
#   CORPORA=heldout4 bash bench/scan.sh # round 4's
#   CORPORA=heldout5 bash bench/scan.sh # round 5's
#   CORPORA=heldout6 bash bench/scan.sh # round 6's
#   CORPORA=heldout7 bash bench/scan.sh # round 7's
#   CORPORA=heldout8 bash bench/scan.sh # round 8's
#   CORPORA=heldout14 bash bench/scan.sh # round 14's (with py-query-per-serialized-row)
#   CORPORA=heldout16 bash bench/scan.sh # round 16's (with py-query-per-admin-row)
#   CORPORA=heldout17 bash bench/scan.sh # round 17's (with the GraphQL field-resolver rules)
#   CORPORA=heldout18 bash bench/scan.sh # round 18's (OpenStack services, Etherpad, Flowise nodes)
#   CORPORA=heldout19 bash bench/scan.sh # round 19's (dagster, mage-ai, n8n's nodes, The Lounge)
#   CORPORA=heldout20 bash bench/scan.sh # round 20's (pgAdmin, Open WebUI, Signal K, SAML Jackson)
#   CORPORA=heldout21 bash bench/scan.sh # round 21's (buildbot, Lemur, Keystone 6, Payload e-commerce)
#   CORPORA=heldout22 bash bench/scan.sh # round 22's (RDMO, Horizon, Mojaloop central-ledger, Form.io)
#   CORPORA=heldout23 bash bench/scan.sh # round 23's (Nova, Askbot, Webiny page builder API, NodeBB)
#   CORPORA=heldout24 bash bench/scan.sh # round 24's (Manila, LNbits, LobeChat, Umami)
#   CORPORA=heldout25 bash bench/scan.sh # round 25's (LiteLLM proxy, privacyIDEA, n8n's LangChain nodes, Actual's sync server)
#   CORPORA=heldout26 bash bench/scan.sh # round 26's (Feast, Neutron, Uppy Companion, SAP CAP runtime)
#   CORPORA=heldout27 bash bench/scan.sh # round 27's (Letta, Argilla server, Khoj, Budibase backend-core, SuperTokens)
#   CORPORA=heldout28 bash bench/scan.sh # round 28's (Glance, Invenio RDM records, Kiwi TCMS, Trac)
#   CORPORA=heldout29 bash bench/scan.sh # round 29's (Home Assistant)
#   CORPORA=heldout30 bash bench/scan.sh # round 30's (FitTrackee, HyperKitty, Tryton server, jsreport core, Forest Admin agent)
#   CORPORA=heldout31 bash bench/scan.sh # round 31's (Guillotina, Roundup, Calibre-Web, FlaskBB, Verdaccio, Cube's API gateway)
#   CORPORA=heldout32 bash bench/scan.sh # round 32's (Kinto, Postorius, Sentry's plugins, Node-RED runtime, Ghost's members API)
#   CORPORA=heldout33 bash bench/scan.sh # round 33's (Heat, Octavia, doccano, JupyterHub, Designate)
#   CORPORA=heldout34 bash bench/scan.sh # round 34's (Strapi's upload and users-permissions plugins, Webiny's headless CMS, Backstage's auth backend, NocoBase's ACL plugin, Medusa's product module)
#   CORPORA=heldout35 bash bench/scan.sh # round 35's (Argus, django-oscar-api, OpenWISP controller and RADIUS, ScanCode.io, VulnerableCode)
#   CORPORA=heldout36 bash bench/scan.sh # round 36's (Pulp's container plugin, OpenWISP users and network topology, Graphite-web, Medusa cart, NocoBase users)
#   CORPORA=heldout37 bash bench/scan.sh # round 37's (Fides, OpenStack Keystone, n8n's database layer, Strapi review workflows, NocoBase data sources)
#   CORPORA=heldout38 bash bench/scan.sh # round 38's (Pulp's RPM and Ansible plugins, OpenWISP monitoring, django-machina, django-wiki)
#   CORPORA=heldout39 bash bench/scan.sh # round 39's (ColdFront, django-ledger, Mezzanine, Nautobot Golden Config, ORA2)
#   CORPORA=heldout40 bash bench/scan.sh # round 40's (Nautobot SSoT, django-filer, Nautobot Device Lifecycle Management, Pulp's Debian plugin, OpenWISP firmware upgrader, edx-proctoring)
#   CORPORA=heldout41 bash bench/scan.sh # round 41's (Medusa's fulfillment, promotion and pricing modules, Strapi's content releases and i18n, Vendure's payments plugin, Pulp's Python plugin, OpenWISP IPAM)
#   CORPORA=heldout42 bash bench/scan.sh # round 42's (Arize Phoenix, Fief, Datasette, Jupyter Server, Chainlit)
#   CORPORA=heldout43 bash bench/scan.sh # round 43's (dstack, LightRAG, OPAL server, Flower)
#   CORPORA=heldout44 bash bench/scan.sh # round 44's (OpenHands, R2R, mautrix-telegram, maubot)
#   CORPORA=heldout45 bash bench/scan.sh # round 45's (LangBot, SkyPilot, Red-DiscordBot, Moonraker)
#   CORPORA=heldout46 bash bench/scan.sh # round 46's (AstrBot, AutoGen Studio, Ralph, mautrix-instagram)
#   CORPORA=heldout47 bash bench/scan.sh # round 47's (Tribler, Jesse, opsdroid, Strapi's data transfer)
#   CORPORA=heldout48 bash bench/scan.sh # round 48's (cognee, Graphiti, marimo, ArchiveBox)
#   CORPORA=heldout49 bash bench/scan.sh # round 49's (Freqtrade, FlexGet, OpenREM, NocoBase's file manager)
#   CORPORA=heldout50 bash bench/scan.sh # round 50's (Flask-AppBuilder, Pulp's Maven plugin, CKAN's harvester, Mem0, NocoBase's auth plugin)
#   CORPORA=heldout51 bash bench/scan.sh # round 51's (ephios, Tacker, FlowFuse, WildDuck)
#   CORPORA=heldout52 bash bench/scan.sh # round 52's (Mistral, Galaxy's web apps, two SourceLoop services)
#   CORPORA=heldout53 bash bench/scan.sh # round 53's (Faraday, INGInious, OWOX Data Marts' backend, Bluesky's PDS)
#   CORPORA=heldout54 bash bench/scan.sh # round 54's (Bugsink, Kallithea, Tiledesk's server, FDM Monster's server)
#   CORPORA=heldout55 bash bench/scan.sh # round 55's (Spirit, byro, Intlayer's backend, Automatisch's backend)
#   CORPORA=heldout56 bash bench/scan.sh # round 56's (Rucio, NEMO-CE, Things Factory's sales module, Nodeeweb's server)
#   CORPORA=heldout57 bash bench/scan.sh # round 57's (BottleCRM, Django-CRM, Alliance Auth, lenne.Tech's Nest server)
#   CORPORA=heldout58 bash bench/scan.sh # round 58's (Devilry, Skyvern, Blocklet Server's services, Stamhoofd's backend)
#   CORPORA=heldout59 bash bench/scan.sh # round 59's (GPUStack, OpenSlides, MAGE's service, LearnCard's network service)
#   CORPORA=heldout60 bash bench/scan.sh # round 60's (Haupt, SickChill, Energy Web Origin's backend, OpenIoT's API)
#   CORPORA=heldout61 bash bench/scan.sh # round 61's (EvaP, SQUAD, cnpmjs.org, MeshCentral)
#   CORPORA=heldout62 bash bench/scan.sh # round 62's (Creme CRM, udata, Contember's tenant API, Hydro)
#   CORPORA=heldout63 bash bench/scan.sh # round 63's (MindsDB, DIRAC, Botpress 10, DADI API)
#   CORPORA=heldout64 bash bench/scan.sh # round 64's (Waldur MasterMind, Resolwe, Gladys 3, Coko server)
#   CORPORA=heldout65 bash bench/scan.sh # round 65's (Allegro's Ralph 2, LFS, Azurite, Kresus)
#   CORPORA=heldout66 bash bench/scan.sh # round 66's (Sentry 23.7, Lino XL, Screwdriver API, NASA Cumulus API)
#   CORPORA=heldout67 bash bench/scan.sh # round 67's (TOM Toolkit, OpenStack Watcher, OpenHIM core, Comet CMS API)
#   CORPORA=heldout68 bash bench/scan.sh # round 68's (Fidus Writer, wafer, Lighthouse CI server, Kottster server)
# PERFHIVE may also be the scanner alone (`cargo build --release -p perfhive-scan --example
# scan_json`: target/release/examples/scan_json takes the same arguments).
#
# Installs ast-grep (npm) and Semgrep (pip, in a venv) into bench/scan/.tools/ on first use.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
scan="$here/scan"
tools="$scan/.tools"
out="$repo/bench/out/scan"
RUNS="${RUNS:-5}"
CPU="${CPU:-0}"
AST_GREP_VERSION=0.51.1
SEMGREP_VERSION=1.175.0 # newer releases need a certifi not yet on the package index here
mkdir -p "$tools" "$out"

if [ -z "${PERFHIVE:-}" ]; then
  (cd "$repo" && CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo build -q --release -p perfhive)
  PERFHIVE="$repo/target/release/perfhive"
fi
if [ ! -x "$tools/node_modules/.bin/ast-grep" ]; then
  npm install --silent --no-audit --no-fund --prefix "$tools" "@ast-grep/cli@$AST_GREP_VERSION"
fi
if [ ! -x "$tools/venv/bin/semgrep" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install -q "semgrep==$SEMGREP_VERSION"
fi
ASTGREP="$tools/node_modules/.bin/ast-grep"
SEMGREP="$tools/venv/bin/semgrep"

if [ "${CORPORA:-}" = heldout ]; then
  bash "$scan/corpus.sh" pretix unleash
  cd "$scan/.corpus"
  PATHS=(pretix/pretix unleash/dist)
elif [ "${CORPORA:-}" = heldout2 ]; then
  bash "$scan/corpus.sh" weblate superset medusa n8n
  cd "$scan/.corpus"
  PATHS=(weblate/weblate superset/superset medusa/dist n8n/dist)
elif [ "${CORPORA:-}" = heldout3 ]; then
  bash "$scan/corpus.sh" misago mlflow payload budibase
  cd "$scan/.corpus"
  PATHS=(misago/misago mlflow/mlflow payload/dist budibase/src)
elif [ "${CORPORA:-}" = heldout4 ]; then
  bash "$scan/corpus.sh" nautobot indico vendure flowise
  cd "$scan/.corpus"
  PATHS=(nautobot/nautobot indico/indico vendure/dist flowise/dist)
elif [ "${CORPORA:-}" = heldout5 ]; then
  bash "$scan/corpus.sh" ckan labelstudio medusa2 novu
  cd "$scan/.corpus"
  PATHS=(ckan/ckan ckan/ckanext labelstudio/label_studio medusa2/dist novu/build/main)
elif [ "${CORPORA:-}" = heldout6 ]; then
  bash "$scan/corpus.sh" synapse prefect coreflows kuzzle
  cd "$scan/.corpus"
  PATHS=(synapse/synapse prefect/prefect coreflows/dist kuzzle/dist)
elif [ "${CORPORA:-}" = heldout7 ]; then
  bash "$scan/corpus.sh" mayan airflow oneuptime evershop
  cd "$scan/.corpus"
  PATHS=(mayan/mayan airflow/airflow oneuptime/Server oneuptime/Models evershop/src)
elif [ "${CORPORA:-}" = heldout8 ]; then
  bash "$scan/corpus.sh" zenml geonode keystone4 apostrophe
  cd "$scan/.corpus"
  PATHS=(zenml/zenml geonode/geonode keystone4/lib keystone4/fields keystone4/admin keystone4/server apostrophe/modules apostrophe/lib)
elif [ "${CORPORA:-}" = heldout14 ]; then
  bash "$scan/corpus.sh" edxenterprise kolibri saltcorndata saltcornserver
  cd "$scan/.corpus"
  PATHS=(edxenterprise/consent edxenterprise/enterprise edxenterprise/enterprise_learner_portal
    edxenterprise/integrated_channels kolibri/kolibri/core kolibri/kolibri/plugins
    kolibri/kolibri/utils kolibri/kolibri/deployment saltcorndata/dist saltcornserver/routes
    saltcornserver/auth saltcornserver/markup saltcornserver/tests saltcornserver/app.js
    saltcornserver/serve.js saltcornserver/load_plugins.js saltcornserver/wrapper.js)
elif [ "${CORPORA:-}" = heldout16 ]; then
  bash "$scan/corpus.sh" evennia djangocms modoboa uptimekuma nocobaseserver
  cd "$scan/.corpus"
  PATHS=(evennia/evennia djangocms/cms djangocms/menus modoboa/modoboa uptimekuma/server
    uptimekuma/db uptimekuma/extra nocobaseserver/lib)
elif [ "${CORPORA:-}" = heldout17 ]; then
  bash "$scan/corpus.sh" netbox reviewboard openneuro strapigql
  cd "$scan/.corpus"
  PATHS=(netbox/account netbox/circuits netbox/core netbox/dcim netbox/extras netbox/ipam
    netbox/netbox netbox/tenancy netbox/users netbox/utilities netbox/virtualization netbox/vpn
    netbox/wireless reviewboard/reviewboard openneuro/src strapigql/dist/server)
elif [ "${CORPORA:-}" = heldout18 ]; then
  bash "$scan/corpus.sh" cinder ironic etherpad flowisecomp
  cd "$scan/.corpus"
  PATHS=(cinder/cinder ironic/ironic etherpad/node flowisecomp/dist)
elif [ "${CORPORA:-}" = heldout19 ]; then
  bash "$scan/corpus.sh" dagster mageai n8nnodes thelounge
  cd "$scan/.corpus"
  PATHS=(dagster/dagster mageai/mage_ai n8nnodes/dist/nodes n8nnodes/dist/utils thelounge/dist/server)
elif [ "${CORPORA:-}" = heldout20 ]; then
  bash "$scan/corpus.sh" pgadmin openwebui signalk samljackson
  cd "$scan/.corpus"
  PATHS=(pgadmin/pgadmin4 openwebui/open_webui signalk/dist samljackson/dist)
elif [ "${CORPORA:-}" = heldout21 ]; then
  bash "$scan/corpus.sh" buildbot lemur keystone6 payloadecom
  cd "$scan/.corpus"
  PATHS=(buildbot/buildbot lemur/lemur keystone6/dist payloadecom/dist)
elif [ "${CORPORA:-}" = heldout22 ]; then
  bash "$scan/corpus.sh" rdmo horizon centralledger formio
  cd "$scan/.corpus"
  PATHS=(rdmo/rdmo horizon/horizon horizon/openstack_auth horizon/openstack_dashboard
    centralledger/src centralledger/migrations centralledger/seeds centralledger/scripts
    centralledger/config formio/index.js formio/install.js formio/main.js formio/server.js
    formio/src formio/test)
elif [ "${CORPORA:-}" = heldout23 ]; then
  bash "$scan/corpus.sh" nova askbot webinypb nodebb
  cd "$scan/.corpus"
  PATHS=(nova/nova askbot/askbot webinypb nodebb/app.js nodebb/loader.js nodebb/bcrypt.js
    nodebb/src nodebb/install nodebb/test)
elif [ "${CORPORA:-}" = heldout24 ]; then
  bash "$scan/corpus.sh" manila lnbits lobehub umami
  cd "$scan/.corpus"
  PATHS=(manila/manila lnbits/lnbits lobehub/src lobehub/packages umami/src)
elif [ "${CORPORA:-}" = heldout25 ]; then
  bash "$scan/corpus.sh" litellm privacyidea n8nlangchain actualsync
  cd "$scan/.corpus"
  PATHS=(litellm/litellm/proxy privacyidea/privacyidea n8nlangchain/dist/nodes n8nlangchain/dist/utils
    n8nlangchain/dist/credentials actualsync/build)
elif [ "${CORPORA:-}" = heldout26 ]; then
  bash "$scan/corpus.sh" feast neutron companion sapcds
  cd "$scan/.corpus"
  PATHS=(feast/feast neutron/neutron companion/src sapcds/lib sapcds/libx sapcds/bin sapcds/server.js)
elif [ "${CORPORA:-}" = heldout27 ]; then
  bash "$scan/corpus.sh" letta argilla khoj bbcore supertokens
  cd "$scan/.corpus"
  PATHS=(letta/letta argilla/argilla_server khoj/khoj bbcore/dist/src supertokens/lib/build)
elif [ "${CORPORA:-}" = heldout28 ]; then
  bash "$scan/corpus.sh" glance invenio kiwitcms trac
  cd "$scan/.corpus"
  PATHS=(glance/glance invenio/invenio_rdm_records kiwitcms/tcms trac/trac)
elif [ "${CORPORA:-}" = heldout29 ]; then
  bash "$scan/corpus.sh" homeassistant
  cd "$scan/.corpus"
  PATHS=(homeassistant/homeassistant)
elif [ "${CORPORA:-}" = heldout30 ]; then
  bash "$scan/corpus.sh" fittrackee hyperkitty trytond jsreport forestagent
  cd "$scan/.corpus"
  PATHS=(fittrackee/fittrackee hyperkitty/hyperkitty trytond/trytond jsreport/lib forestagent/dist)
elif [ "${CORPORA:-}" = heldout31 ]; then
  bash "$scan/corpus.sh" guillotina roundup calibreweb flaskbb verdaccio cubeapigw
  cd "$scan/.corpus"
  PATHS=(guillotina/guillotina roundup/roundup calibreweb/calibreweb flaskbb/flaskbb verdaccio/build cubeapigw/dist)
elif [ "${CORPORA:-}" = heldout32 ]; then
  bash "$scan/corpus.sh" kinto postorius sentryplugins noderedrt membersapi
  cd "$scan/.corpus"
  PATHS=(kinto/kinto postorius/postorius sentryplugins/sentry_plugins noderedrt/lib membersapi/lib membersapi/index.js)
elif [ "${CORPORA:-}" = heldout33 ]; then
  bash "$scan/corpus.sh" heat octavia doccano jupyterhub designate
  cd "$scan/.corpus"
  PATHS=(heat/heat octavia/octavia doccano/backend jupyterhub/jupyterhub designate/designate)
elif [ "${CORPORA:-}" = heldout34 ]; then
  bash "$scan/corpus.sh" strapiupload strapiup webinycms backstageauth nocobaseacl medusaproduct
  cd "$scan/.corpus"
  PATHS=(strapiupload/dist/server strapiup/dist/server webinycms backstageauth/dist nocobaseacl/dist/server medusaproduct/dist)
elif [ "${CORPORA:-}" = heldout35 ]; then
  bash "$scan/corpus.sh" argus oscarapi owcontroller owradius scancodeio vulnerablecode
  cd "$scan/.corpus"
  PATHS=(argus/argus oscarapi/oscarapi owcontroller/openwisp_controller owradius/openwisp_radius
    scancodeio/scanpipe scancodeio/scancodeio vulnerablecode/vulnerabilities vulnerablecode/vulnerablecode
    vulnerablecode/vulntotal)
elif [ "${CORPORA:-}" = heldout36 ]; then
  bash "$scan/corpus.sh" pulpcontainer owusers owtopology graphite medusacart nocobaseusers
  cd "$scan/.corpus"
  PATHS=(pulpcontainer/pulp_container owusers/openwisp_users owtopology/openwisp_network_topology
    graphite/webapp/graphite medusacart/dist nocobaseusers/dist/server)
elif [ "${CORPORA:-}" = heldout37 ]; then
  bash "$scan/corpus.sh" fides oskeystone n8ndb strapirw nocobaseds
  cd "$scan/.corpus"
  PATHS=(fides/fides oskeystone/keystone n8ndb/dist strapirw/dist/server nocobaseds/dist/server)
elif [ "${CORPORA:-}" = heldout38 ]; then
  bash "$scan/corpus.sh" pulprpm pulpansible owmonitoring machina djwiki
  cd "$scan/.corpus"
  PATHS=(pulprpm/pulp_rpm pulpansible/pulp_ansible owmonitoring/openwisp_monitoring machina/machina djwiki/wiki)
elif [ "${CORPORA:-}" = heldout39 ]; then
  bash "$scan/corpus.sh" coldfront djledger mezzanine goldenconfig ora2
  cd "$scan/.corpus"
  PATHS=(coldfront/coldfront djledger/django_ledger mezzanine/mezzanine goldenconfig/nautobot_golden_config
    ora2/openassessment)
elif [ "${CORPORA:-}" = heldout40 ]; then
  bash "$scan/corpus.sh" ssot filer dlm pulpdeb owfirmware proctoring
  cd "$scan/.corpus"
  PATHS=(ssot/nautobot_ssot filer/filer dlm/nautobot_device_lifecycle_mgmt pulpdeb/pulp_deb
    owfirmware/openwisp_firmware_upgrader proctoring/edx_proctoring)
elif [ "${CORPORA:-}" = heldout41 ]; then
  bash "$scan/corpus.sh" medusaful medusapromo medusaprice strapicr strapii18n vendurepay pulppy owipam
  cd "$scan/.corpus"
  PATHS=(medusaful/dist medusapromo/dist medusaprice/dist strapicr/dist/server strapii18n/dist/server
    vendurepay/package pulppy/pulp_python owipam/openwisp_ipam)
elif [ "${CORPORA:-}" = heldout42 ]; then
  bash "$scan/corpus.sh" phoenix fief datasette jpserver chainlit
  cd "$scan/.corpus"
  PATHS=(phoenix/phoenix fief/fief datasette/datasette jpserver/jupyter_server chainlit/chainlit)
elif [ "${CORPORA:-}" = heldout43 ]; then
  bash "$scan/corpus.sh" dstack lightrag opal flower
  cd "$scan/.corpus"
  PATHS=(dstack/dstack lightrag/lightrag opal/opal_server flower/flower)
elif [ "${CORPORA:-}" = heldout44 ]; then
  bash "$scan/corpus.sh" openhands r2r mautrixtg maubot
  cd "$scan/.corpus"
  PATHS=(openhands/openhands r2r/core mautrixtg/mautrix_telegram maubot/maubot)
elif [ "${CORPORA:-}" = heldout45 ]; then
  bash "$scan/corpus.sh" langbot skypilot redbot moonraker
  cd "$scan/.corpus"
  PATHS=(langbot/langbot skypilot/sky redbot/redbot moonraker/moonraker)
elif [ "${CORPORA:-}" = heldout46 ]; then
  bash "$scan/corpus.sh" astrbot autogen ralph mautinsta
  cd "$scan/.corpus"
  PATHS=(astrbot/astrbot autogen/autogenstudio ralph/ralph mautinsta/mautrix_instagram mautinsta/mauigpapi)
elif [ "${CORPORA:-}" = heldout47 ]; then
  bash "$scan/corpus.sh" tribler jesse opsdroid strapidt
  cd "$scan/.corpus"
  PATHS=(tribler/tribler jesse/jesse opsdroid/opsdroid strapidt/dist)
elif [ "${CORPORA:-}" = heldout48 ]; then
  bash "$scan/corpus.sh" cognee graphiti marimo archivebox
  cd "$scan/.corpus"
  PATHS=(cognee/cognee graphiti/graphiti_core marimo/marimo archivebox/archivebox)
elif [ "${CORPORA:-}" = heldout49 ]; then
  bash "$scan/corpus.sh" freqtrade flexget openrem nocofm
  cd "$scan/.corpus"
  PATHS=(freqtrade/freqtrade flexget/flexget openrem/openrem nocofm/dist/server)
elif [ "${CORPORA:-}" = heldout50 ]; then
  bash "$scan/corpus.sh" fab pulpmaven harvest mem0 nocoauth
  cd "$scan/.corpus"
  PATHS=(fab/flask_appbuilder pulpmaven/pulp_maven harvest/ckanext/harvest mem0/mem0 nocoauth/dist/server)
elif [ "${CORPORA:-}" = heldout68 ]; then
  bash "$scan/corpus.sh" fiduswriter wafer lhci kottster
  cd "$scan/.corpus"
  PATHS=(fiduswriter/fiduswriter wafer/wafer lhci/src/server.js lhci/src/api lhci/src/cron kottster/dist)
elif [ "${CORPORA:-}" = heldout67 ]; then
  bash "$scan/corpus.sh" tom watcher openhim comet
  cd "$scan/.corpus"
  PATHS=(tom/tom_alerts tom/tom_base tom/tom_calendar tom/tom_catalogs tom/tom_common
    tom/tom_dataproducts tom/tom_dataservices tom/tom_observations tom/tom_setup tom/tom_targets
    watcher/watcher openhim/src comet/lib)
elif [ "${CORPORA:-}" = heldout66 ]; then
  bash "$scan/corpus.sh" sentry linoxl screwdriver cumulus
  cd "$scan/.corpus"
  PATHS=(sentry/sentry linoxl/lino_xl screwdriver/plugins screwdriver/lib screwdriver/index.js
    cumulus/app cumulus/bin cumulus/endpoints cumulus/lambdas cumulus/lib cumulus/models cumulus/src
    cumulus/index.js cumulus/ecs/async-operation/index.js)
elif [ "${CORPORA:-}" = heldout65 ]; then
  bash "$scan/corpus.sh" allegroralph djangolfs azurite kresus
  cd "$scan/.corpus"
  PATHS=(allegroralph/src/ralph djangolfs/lfs azurite/dist/src kresus/build/server
    kresus/build/shared kresus/bin/kresus.js)
elif [ "${CORPORA:-}" = heldout64 ]; then
  bash "$scan/corpus.sh" waldur resolwe gladys coko
  cd "$scan/.corpus"
  PATHS=()
  for d in waldur/waldur_*; do [[ "$d" == *.dist-info ]] || PATHS+=("$d"); done
  PATHS+=(resolwe/resolwe gladys/api gladys/config gladys/test gladys/app.js gladys/index.js
    gladys/init.js gladys/dev.js coko/src coko/authorization.js)
elif [ "${CORPORA:-}" = heldout63 ]; then
  bash "$scan/corpus.sh" mindsdb dirac botpress dadi
  cd "$scan/.corpus"
  PATHS=(mindsdb/mindsdb dirac/DIRAC botpress/lib botpress/migrations dadi/dadi dadi/utils
    dadi/config.js dadi/index.js dadi/main.js dadi/start.js)
elif [ "${CORPORA:-}" = heldout62 ]; then
  bash "$scan/corpus.sh" creme udata contember hydro
  cd "$scan/.corpus"
  PATHS=(creme/creme udata/udata udata/udata_search_service contember/src hydro/src)
elif [ "${CORPORA:-}" = heldout61 ]; then
  bash "$scan/corpus.sh" evap squad cnpm meshcentral
  cd "$scan/.corpus"
  PATHS=(evap/evap squad/squad cnpm/bin cnpm/common cnpm/config cnpm/controllers cnpm/lib cnpm/middleware
    cnpm/models cnpm/routes cnpm/servers cnpm/services cnpm/sync cnpm/tools cnpm/dispatch.js cnpm/index.js
    cnpm/worker.js meshcentral/*.js)
elif [ "${CORPORA:-}" = heldout60 ]; then
  bash "$scan/corpus.sh" haupt sickchill ewbackend openiot
  cd "$scan/.corpus"
  PATHS=(haupt/haupt sickchill/sickchill sickchill/frontend sickchill/SickChill.py ewbackend/dist/js openiot/src)
elif [ "${CORPORA:-}" = heldout59 ]; then
  bash "$scan/corpus.sh" gpustack openslides mage learncard
  cd "$scan/.corpus"
  PATHS=(gpustack/gpustack openslides/openslides mage/lib learncard/src)
elif [ "${CORPORA:-}" = heldout58 ]; then
  bash "$scan/corpus.sh" devilry skyvern blockletsvc stamhoofd
  cd "$scan/.corpus"
  PATHS=(devilry/devilry skyvern/skyvern blockletsvc/api stamhoofd/src)
elif [ "${CORPORA:-}" = heldout57 ]; then
  bash "$scan/corpus.sh" bottlecrm djangocrm allianceauth lennenest
  cd "$scan/.corpus"
  PATHS=(bottlecrm/accounts bottlecrm/automation bottlecrm/business_hours bottlecrm/cases bottlecrm/common bottlecrm/contacts bottlecrm/crm bottlecrm/interactions bottlecrm/invoices bottlecrm/leads bottlecrm/macros bottlecrm/opportunity bottlecrm/orders bottlecrm/projects bottlecrm/tasks bottlecrm/webforms bottlecrm/webhooks djangocrm/analytics djangocrm/chat djangocrm/common djangocrm/crm djangocrm/help djangocrm/massmail djangocrm/quality djangocrm/settings djangocrm/tasks djangocrm/voip djangocrm/webcrm allianceauth/allianceauth lennenest/src)
elif [ "${CORPORA:-}" = heldout56 ]; then
  bash "$scan/corpus.sh" rucio nemoce tfsales nodeeweb
  cd "$scan/.corpus"
  PATHS=(rucio/rucio nemoce/NEMO tfsales/server nodeeweb/src/app nodeeweb/src/controllers nodeeweb/src/models nodeeweb/src/routes nodeeweb/src/variables nodeeweb/src/bin nodeeweb/src/global.mjs nodeeweb/src/request.mjs nodeeweb/src/seo.mjs nodeeweb/src/index.js)
elif [ "${CORPORA:-}" = heldout55 ]; then
  bash "$scan/corpus.sh" spirit byro intlayer automatisch
  cd "$scan/.corpus"
  PATHS=(spirit/spirit byro/byro intlayer/dist/esm automatisch/src)
elif [ "${CORPORA:-}" = heldout54 ]; then
  bash "$scan/corpus.sh" bugsink kallithea tiledesk fdmmonster
  cd "$scan/.corpus"
  PATHS=(bugsink/alerts bugsink/bsmain bugsink/bugsink bugsink/compat bugsink/ee bugsink/events bugsink/files bugsink/ingest bugsink/issues bugsink/performance bugsink/phonehome bugsink/projects bugsink/releases bugsink/snappea bugsink/tags bugsink/teams bugsink/theme bugsink/users bugsink/sentry_sdk_extensions kallithea/kallithea tiledesk/app.js tiledesk/errorCodes.js tiledesk/jobs.js tiledesk/jobsManager.js tiledesk/channels tiledesk/config tiledesk/event tiledesk/lib tiledesk/middleware tiledesk/migrations tiledesk/models tiledesk/pubmodules tiledesk/routes tiledesk/services tiledesk/utils tiledesk/websocket fdmmonster/dist)
elif [ "${CORPORA:-}" = heldout53 ]; then
  bash "$scan/corpus.sh" faraday inginious owox atprotopds
  cd "$scan/.corpus"
  PATHS=(faraday/faraday inginious/inginious owox/dist atprotopds/dist)
elif [ "${CORPORA:-}" = heldout52 ]; then
  bash "$scan/corpus.sh" mistral galaxyweb slauth sltenant
  cd "$scan/.corpus"
  PATHS=(mistral/mistral galaxyweb/galaxy/webapps slauth/src sltenant/src)
elif [ "${CORPORA:-}" = heldout51 ]; then
  bash "$scan/corpus.sh" ephios tacker flowfuse wildduck
  cd "$scan/.corpus"
  PATHS=(ephios/ephios tacker/tacker flowfuse/forge wildduck/lib wildduck/imap-core/lib wildduck/imap-core/index.js wildduck/plugins wildduck/migrations wildduck/api.js wildduck/imap.js wildduck/lmtp.js wildduck/pop3.js wildduck/server.js wildduck/tasks.js wildduck/webhooks.js wildduck/worker.js wildduck/indexer.js wildduck/acme.js wildduck/mcp.js wildduck/prometheus.js)
else
  bash "$scan/corpus.sh" django scrapy peewee mongoose knex express ghost
  cd "$scan/.corpus"
  # Shipped code only (no bundled admin build of ghost); the same paths for every tool.
  PATHS=(django scrapy peewee mongoose/lib knex/lib express ghost/core/server ghost/core/frontend ghost/core/shared)
fi
: > .semgrepignore # an empty one replaces Semgrep's default ignore list (tests/, …)
# The Python applications ship their browser bundles (28 MB of built JS in superset): not
# application code, and left out for every tool alike (.ignore is read by perfhive's and
# ast-grep's walkers, .semgrepignore by Semgrep).
BUNDLES=()
bundles() {
  for d in "$@"; do rm -f "$(dirname "$d")/.ignore"; done
  for d in "$@"; do echo "$(basename "$d")/" >> "$(dirname "$d")/.ignore"; echo "$d/" >> .semgrepignore; BUNDLES+=("$d"); done
}
case "${CORPORA:-}" in
  heldout2) bundles weblate/weblate/static superset/superset/static ;;
  heldout65) bundles allegroralph/src/ralph/ui/static allegroralph/src/ralph/media djangolfs/lfs/manage/static ;;
  heldout66) bundles sentry/sentry/static linoxl/lino_xl/lib/extensible/static ;;
  heldout67) bundles tom/tom_common/static tom/tom_targets/static comet/lib/generator ;;
  heldout68) bundles fiduswriter/fiduswriter/base/static fiduswriter/fiduswriter/bibliography/static fiduswriter/fiduswriter/document/static fiduswriter/fiduswriter/feedback/static fiduswriter/fiduswriter/menu/static fiduswriter/fiduswriter/user/static fiduswriter/fiduswriter/user_template_manager/static fiduswriter/fiduswriter/usermedia/static wafer/wafer/static wafer/wafer/talks/static ;;
  heldout3) bundles misago/misago/static mlflow/mlflow/server/js ;;
  heldout4) bundles nautobot/nautobot/project-static nautobot/nautobot/ui indico/indico/web/static ;;
  heldout5) bundles ckan/ckan/public ;;
  heldout6) bundles prefect/prefect/server/ui prefect/prefect/server/ui-v2 ;;
  heldout14) bundles kolibri/kolibri/core/static kolibri/kolibri/plugins/*/static ;;
  heldout16) bundles modoboa/modoboa/frontend_dist djangocms/cms/static evennia/evennia/web/static ;;
  # netbox/extras/data: a 6 MB generated table (UN/LOCODE), over perfhive's size limit and
  # Semgrep's; Strapi ships every module twice, as .js and .mjs: the .js copy is scanned
  heldout17) bundles reviewboard/reviewboard/htdocs reviewboard/reviewboard/static netbox/extras/data
    echo '*.mjs' > strapigql/dist/server/.ignore; echo 'strapigql/**/*.mjs' >> .semgrepignore ;;
  heldout19) bundles mageai/mage_ai/server/frontend_dist mageai/mage_ai/server/frontend_dist_base_path_template ;;
  heldout20) bundles pgadmin/pgadmin4/pgadmin/static/js/generated openwebui/open_webui/frontend openwebui/open_webui/static ;;
  heldout21) bundles lemur/lemur/static ;;
  # the browser code both Python applications ship (RDMO's React sources and builds, Horizon's
  # AngularJS panels)
  heldout22) bundles rdmo/rdmo/*/assets rdmo/rdmo/*/static horizon/horizon/static \
    horizon/openstack_dashboard/static horizon/openstack_dashboard/dashboards/*/static \
    horizon/openstack_dashboard/contrib/*/static ;;
  # Askbot's browser code and the JavaScript test harness it ships (its own node_modules)
  heldout23) bundles askbot/askbot/media askbot/askbot/tests/js ;;
  # LNbits' browser code; the React views (.tsx) of LobeChat and Umami, which no ast-grep rule
  # of bench/scan/astgrep-rules reads and perfhive's --lang typescript leaves out, out of
  # Semgrep's scan too
  heldout24) bundles lnbits/lnbits/static; echo '*.tsx' >> .semgrepignore ;;
  # the built admin UI of LiteLLM's proxy and privacyIDEA's browser code
  heldout25) bundles litellm/litellm/proxy/_experimental/out privacyidea/privacyidea/static \
    privacyidea/privacyidea/static_old ;;
  # Feast's built web UI
  heldout26) bundles feast/feast/ui/build ;;
  # Khoj's built web UI
  heldout27) bundles khoj/khoj/interface/compiled ;;
  # the browser code the Python applications ship (Kiwi TCMS's node_modules and static files,
  # Invenio's assets, Trac's htdocs)
  heldout28) bundles kiwitcms/tcms/node_modules kiwitcms/tcms/static invenio/invenio_rdm_records/assets \
    trac/trac/htdocs ;;
  # the browser code FitTrackee and HyperKitty ship
  heldout30) bundles fittrackee/fittrackee/dist hyperkitty/hyperkitty/static ;;
  # the browser code Guillotina, Calibre-Web and FlaskBB ship
  heldout31) bundles guillotina/guillotina/static guillotina/guillotina/contrib/swagger/static \
    calibreweb/calibreweb/cps/static flaskbb/flaskbb/static flaskbb/flaskbb/themes/*/static ;;
  # the browser code Postorius and Sentry's plugins ship
  heldout32) bundles postorius/postorius/static sentryplugins/sentry_plugins/*/static ;;
  # the browser code doccano ships
  heldout33) bundles doccano/backend/staticfiles doccano/backend/client ;;
  # Strapi ships every module twice, as .js and .mjs: the .js copy is scanned
  heldout34) for d in strapiupload strapiup; do
      echo '*.mjs' > $d/dist/server/.ignore; echo "$d/**/*.mjs" >> .semgrepignore
    done ;;
  # the browser code the Python applications ship
  heldout35) bundles argus/argus/htmx/static owcontroller/openwisp_controller/config/static \
    owcontroller/openwisp_controller/connection/static owradius/openwisp_radius/static \
    owradius/openwisp_radius/integrations/monitoring/static scancodeio/scancodeio/static \
    vulnerablecode/vulnerablecode/static ;;
  # the browser code the Python applications ship
  heldout36) bundles owusers/openwisp_users/static owtopology/openwisp_network_topology/static ;;
  # Fides' admin interface build; Strapi's .mjs copies (the .js copy is scanned)
  heldout37) bundles fides/fides/ui-build
    echo '*.mjs' > strapirw/dist/server/.ignore; echo "strapirw/**/*.mjs" >> .semgrepignore ;;
  # the browser code the Django applications ship
  heldout38) bundles owmonitoring/openwisp_monitoring/device/static \
    owmonitoring/openwisp_monitoring/monitoring/static machina/machina/static djwiki/wiki/static \
    djwiki/wiki/plugins/images/static djwiki/wiki/plugins/notifications/static ;;
  # the browser code the Django applications ship
  heldout39) bundles coldfront/coldfront/static djledger/django_ledger/static \
    mezzanine/mezzanine/conf/static mezzanine/mezzanine/core/static mezzanine/mezzanine/forms/static \
    mezzanine/mezzanine/galleries/static mezzanine/mezzanine/pages/static \
    goldenconfig/nautobot_golden_config/static ora2/openassessment/xblock/static ;;
  # the browser code the Django applications ship (SSoT's and Device Lifecycle's are their documentation sites')
  heldout40) bundles ssot/nautobot_ssot/static filer/filer/static dlm/nautobot_device_lifecycle_mgmt/static \
    owfirmware/openwisp_firmware_upgrader/static proctoring/edx_proctoring/static ;;
  # Strapi's packages ship each server file twice (CommonJS and ES modules); OpenWISP IPAM's
  # browser code
  heldout41) bundles owipam/openwisp_ipam/static
    for c in strapicr strapii18n; do
      echo '*.mjs' > $c/dist/server/.ignore; echo "$c/**/*.mjs" >> .semgrepignore
    done ;;
  # the browser code the applications ship
  heldout42) bundles phoenix/phoenix/server/static fief/fief/static datasette/datasette/static \
    chainlit/chainlit/frontend chainlit/chainlit/copilot ;;
  heldout43) bundles dstack/dstack/_internal/server/statics lightrag/lightrag/api/webui \
    flower/flower/static ;;
  heldout44) bundles mautrixtg/mautrix_telegram/web/public maubot/maubot/management/frontend ;;
  heldout45) bundles langbot/langbot/web skypilot/sky/dashboard skypilot/sky/server/html \
    moonraker/moonraker/assets ;;
  heldout46) bundles astrbot/astrbot/dashboard/dist autogen/autogenstudio/web/ui ;;
  # Jesse's dashboard build; Strapi's .mjs copies (the .js copy is scanned)
  heldout47) bundles jesse/jesse/static
    echo '*.mjs' > strapidt/dist/.ignore; echo "strapidt/**/*.mjs" >> .semgrepignore ;;
  # the browser code marimo, cognee and ArchiveBox ship, and marimo's bundled language server
  heldout48) bundles marimo/marimo/_static marimo/marimo/_lsp cognee/cognee/modules/visualization/views \
    archivebox/archivebox/templates/static ;;
  # the browser code FlexGet and OpenREM ship
  heldout49) bundles flexget/flexget/ui/v1 flexget/flexget/ui/v2 openrem/openrem/remapp/static ;;
  # the browser code Flask-AppBuilder and CKAN's harvester ship
  heldout50) bundles fab/flask_appbuilder/static harvest/ckanext/harvest/public harvest/ckanext/harvest/assets ;;
  # the browser code ephios ships (its own and vendored: Vue, Select2)
  heldout51) bundles ephios/ephios/static ;;
  # the browser code Galaxy's web apps ship (the Tool Shed's scripts)
  heldout52) bundles galaxyweb/galaxy/webapps/base/static ;;
  # the browser code Faraday and INGInious ship, and the PDS's generated schema modules
  heldout53) bundles faraday/faraday/server/www inginious/inginious/frontend/static atprotopds/dist/lexicons ;;
  # the browser code Kallithea ships
  heldout54) bundles kallithea/kallithea/public kallithea/kallithea/front-end ;;
  # the browser code Spirit and byro ship
  heldout55) bundles spirit/spirit/core/static byro/byro/static ;;
  # the browser code NEMO-CE ships
  heldout56) bundles nemoce/NEMO/static nemoce/NEMO/apps/kiosk/static nemoce/NEMO/apps/area_access/static ;;
  # the browser code Django-CRM and Alliance Auth ship
  heldout57) bundles djangocrm/common/static djangocrm/crm/static djangocrm/quality/static \
    allianceauth/allianceauth/static allianceauth/allianceauth/services/static \
    allianceauth/allianceauth/timerboard/static allianceauth/allianceauth/framework/static \
    allianceauth/allianceauth/authentication/static \
    allianceauth/allianceauth/project_template/project_name/static ;;
  # Botpress's browser bundles and the starter bots its command line copies
  heldout63) bundles botpress/lib/web botpress/lib/cli/templates ;;
  # the browser code Creme CRM ships (its scripts and a copy of TinyMCE), and the copy of
  # flask-mongoengine udata vendors
  heldout62) bundles creme/creme/media/tiny_mce creme/creme/*/static udata/udata/flask_mongoengine ;;
  # the browser code EvaP and SQUAD ship
  heldout61) bundles evap/evap/static squad/squad/frontend/static ;;
  # the browser code Haupt and SickChill ship, and the AniDB client library SickChill bundles
  heldout60) bundles haupt/haupt/static sickchill/sickchill/gui sickchill/sickchill/adba \
    sickchill/frontend/*/src sickchill/frontend/*/static ;;
  # the browser code GPUStack and OpenSlides ship, and GPUStack's generated API client
  heldout59) bundles gpustack/gpustack/ui openslides/openslides/static
    echo 'generated_*.py' > gpustack/gpustack/client/.ignore
    echo 'gpustack/gpustack/client/generated_*.py' >> .semgrepignore ;;
  # the browser code Devilry and Skyvern ship, and Skyvern's generated API client
  heldout58) bundles devilry/devilry/devilry_theme3/static devilry/devilry/devilry_statistics/static \
    devilry/devilry/devilry_statistics/staticsources skyvern/skyvern/client skyvern/skyvern/browser_extension \
    skyvern/skyvern/forge/sdk/routes/streaming/channels/js ;;
esac

# Semgrep applies its built-in ignore list (dist/, build/, tests/ …) whenever the project root
# it finds — the enclosing git repository, this one — has no .semgrepignore, whatever the
# working folder holds: the corpora are scanned from a copy outside the repository, where the
# .semgrepignore above is the project's. Test files are scanned by every tool (perfhive with
# --include-tests).
copy="$(mktemp -d /tmp/perfhive-scan-bench.XXXXXX)"
trap 'rm -rf "$copy"' EXIT
for p in "${PATHS[@]}"; do mkdir -p "$copy/$(dirname "$p")"; cp -a "$p" "$copy/$p"; done
for d in "${BUNDLES[@]}"; do cp -a "$(dirname "$d")/.ignore" "$copy/$(dirname "$d")/.ignore"; done
cp .semgrepignore "$copy/"
cd "$copy"

if pgrep -x rustc >/dev/null; then
  echo "warning: rustc is running: timings will be disturbed" >&2
fi

run_perfhive() { taskset -c "$CPU" "$PERFHIVE" scan "${PATHS[@]}" --lang python --lang javascript --lang typescript --include-tests --threads 1 --format json --out "$1"; }
run_astgrep() { taskset -c "$CPU" "$ASTGREP" scan -c "$scan/sgconfig.yml" -j 1 --json=compact "${PATHS[@]}" > "$1"; }
# Semgrep reads the .semgrepignore of the folder it is given, not of the working folder: given
# the paths, it would fall back to its built-in list and skip every tests/ folder. The copy
# holds the paths and nothing else, so Semgrep is given the copy itself.
run_semgrep() { taskset -c "$CPU" "$SEMGREP" scan --metrics=off --disable-version-check --no-git-ignore -j 1 \
  --config "$scan/semgrep-rules.yml" --json -o "$1" . 2>/dev/null; }

# Files scanned and findings, from one counting run per tool.
"$PERFHIVE" scan "${PATHS[@]}" --lang python --lang javascript --lang typescript --include-tests --format json --out "$out/speed-perfhive.json" >/dev/null 2>&1 || true
"$ASTGREP" scan -c "$scan/sgconfig.yml" --inspect summary --json=compact "${PATHS[@]}" > "$out/speed-astgrep.json" 2> "$out/speed-astgrep.inspect" || true
run_semgrep "$out/speed-semgrep.json" || true

: > "$out/speed-times.tsv"
for i in $(seq 1 "$RUNS"); do
  for tool in perfhive astgrep semgrep; do
    /usr/bin/time -v -o "$out/time-$tool-$i.txt" bash -c "$(declare -f run_$tool); $(declare -p PATHS CPU PERFHIVE ASTGREP SEMGREP scan); run_$tool /dev/null" >/dev/null 2>&1 || true
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(k=1;k<=n;k++) s=s*60+a[k]; print s}' "$out/time-$tool-$i.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time-$tool-$i.txt")
    printf '%s\t%s\t%s\t%s\n' "$tool" "$i" "$wall" "$rss" >> "$out/speed-times.tsv"
    echo "run $i $tool: ${wall}s, ${rss} KiB"
  done
done

python3 - "$out" "$PERFHIVE" "$ASTGREP" "$SEMGREP" <<'EOF'
import json, re, statistics, subprocess, sys, collections
out, ph, ag, sg = sys.argv[1:]
times = collections.defaultdict(list); rss = collections.defaultdict(list)
for line in open(f"{out}/speed-times.tsv"):
    t, _, w, r = line.split("\t")
    times[t].append(float(w)); rss[t].append(int(r))
p = json.load(open(f"{out}/speed-perfhive.json"))
files = {"perfhive": p["summary"]["files_parsed"]}
finds = {"perfhive": len(p["findings"])}
m = re.search(r"scannedFileCount=(\d+)", open(f"{out}/speed-astgrep.inspect").read())
files["astgrep"] = int(m.group(1)) if m else 0
finds["astgrep"] = len(json.load(open(f"{out}/speed-astgrep.json")))
s = json.load(open(f"{out}/speed-semgrep.json"))
files["semgrep"] = len(s["paths"]["scanned"]); finds["semgrep"] = len(s["results"])
ver = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
vers = {"perfhive": ver([ph, "--version"]), "astgrep": ver([ag, "--version"]), "semgrep": "semgrep " + ver([sg, "--version"])}
# rule counts of bench/scan/astgrep-rules/*.yml and bench/scan/semgrep-rules.yml
rules = {"perfhive": len(p["rules"]), "astgrep": 19, "semgrep": 13}
print("\n| tool | version | rules | files scanned | findings | median wall (s) | files/s | peak RSS (MiB) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
med = {}
for t in ("perfhive", "astgrep", "semgrep"):
    med[t] = statistics.median(times[t])
    print(f"| {t} | {vers[t]} | {rules[t]} | {files[t]:,} | {finds[t]:,} | {med[t]:.2f} | {files[t]/med[t]:,.0f} | {statistics.median(rss[t])/1024:.1f} |")
fps = {t: files[t] / med[t] for t in med}
print(f"\nperfhive / ast-grep: {med['perfhive']/med['astgrep']:.2f}x the wall time, {fps['perfhive']/fps['astgrep']:.2f}x the files/s")
print(f"perfhive / semgrep:  {med['perfhive']/med['semgrep']:.2f}x the wall time, {fps['perfhive']/fps['semgrep']:.2f}x the files/s")
print(f"runs: {dict((t, [round(x, 2) for x in v]) for t, v in times.items())}")
EOF
