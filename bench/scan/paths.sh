# Sourced by bench/scan/precision.sh and bench/scan/recall.sh (with `here` set to this folder):
# sets `repo` and `out`, builds perfhive unless PERFHIVE names a binary, and defines
# `paths_of NAME`: the paths each corpus is scanned at (its shipped application code, relative
# to bench/scan/.corpus/<name>) and its languages.
# shellcheck shell=bash
# shellcheck disable=SC2034 # repo, out, paths and langs are read by the caller

repo="$(cd "$here/../.." && pwd)"
out="$repo/bench/out/scan"
mkdir -p "$out"
if [ -z "${PERFHIVE:-}" ]; then
  (cd "$repo" && CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo build -q --release -p perfhive)
  PERFHIVE="$repo/target/release/perfhive"
fi

# Strapi ships every module twice, as .js and .mjs: the .js copy of DIR is scanned.
js_only() {
  echo '*.mjs' > "$here/.corpus/$1/$2/.ignore"
  paths=$2; langs="--lang javascript"
}

paths_of() {
  case "$1" in
    pretix|wagtail|weblate|superset|misago|mlflow|nautobot|indico) paths="$1"; langs="--lang python" ;;
    ckan) paths="ckan ckanext"; langs="--lang python" ;;
    labelstudio) paths=label_studio; langs="--lang python" ;;
    novu) paths=build/main; langs="--lang javascript --lang typescript" ;;
    synapse) paths=synapse; langs="--lang python" ;;
    prefect) paths=prefect; langs="--lang python" ;;
    kuzzle) paths=dist; langs="--lang javascript --lang typescript" ;;
    mayan) paths=mayan; langs="--lang python" ;;
    airflow) paths=airflow; langs="--lang python" ;;
    oneuptime) paths="Server Models"; langs="--lang javascript --lang typescript --lang tsx" ;;
    evershop) paths=src; langs="--lang javascript --lang typescript --lang tsx" ;;
    zenml) paths=zenml; langs="--lang python" ;;
    geonode) paths=geonode; langs="--lang python" ;;
    keystone4) paths="lib fields admin server index.js"; langs="--lang javascript" ;;
    apostrophe) paths="modules lib index.js"; langs="--lang javascript" ;;
    tendenci) paths=tendenci; langs="--lang python" ;;
    langflow) paths=langflow; langs="--lang python" ;;
    unchained) paths=lib; langs="--lang javascript" ;;
    strapiadmin) js_only strapiadmin dist/server ;;
    shuup) paths=shuup; langs="--lang python" ;;
    zou) paths=zou; langs="--lang python" ;;
    parseserver) paths=lib; langs="--lang javascript" ;;
    strapicore) js_only strapicore dist ;;
    arches) paths=arches; langs="--lang python" ;;
    superdesk) paths="superdesk apps content_api"; langs="--lang python" ;;
    catalog) paths=dist; langs="--lang javascript" ;;
    nocoflow) paths=dist/server; langs="--lang javascript" ;;
    oscar) paths=oscar; langs="--lang python" ;;
    mailman) paths=mailman; langs="--lang python" ;;
    scaffolder) paths=dist; langs="--lang javascript" ;;
    strapicm) js_only strapicm dist/server ;;
    pulpcore) paths="pulpcore pulp_file pulp_certguard"; langs="--lang python" ;;
    galaxy) paths=galaxy_ng; langs="--lang python" ;;
    medusaorder) paths=dist; langs="--lang javascript" ;;
    backstagedefaults) paths=dist; langs="--lang javascript" ;;
    edxenterprise) paths="consent enterprise enterprise_learner_portal integrated_channels"; langs="--lang python" ;;
    # kolibri/dist holds the third-party libraries the wheel vendors: not the application
    kolibri) paths="kolibri/core kolibri/plugins kolibri/utils kolibri/deployment"; langs="--lang python" ;;
    saltcorndata) paths=dist; langs="--lang javascript" ;;
    # public/ holds the browser bundles
    saltcornserver) echo "public/" > "$here/.corpus/saltcornserver/.ignore"; paths=.; langs="--lang javascript" ;;
    pretalx) paths=pretalx; langs="--lang python" ;;
    wger) paths=wger; langs="--lang python" ;;
    rcaccounts|rcorders|rccarts) paths=src; langs="--lang javascript" ;;
    evennia) paths=evennia; langs="--lang python" ;;
    djangocms) paths="cms menus"; langs="--lang python" ;;
    modoboa) paths=modoboa; langs="--lang python" ;;
    # server code only: dist/ and src/ are the browser application
    uptimekuma) paths="server db extra"; langs="--lang javascript" ;;
    nocobaseserver) paths=lib; langs="--lang javascript" ;;
    netbox) paths="account circuits core dcim extras ipam netbox tenancy users utilities virtualization vpn wireless"; langs="--lang python" ;;
    reviewboard) paths=reviewboard; langs="--lang python" ;;
    openneuro) paths=src; langs="--lang typescript" ;;
    strapigql) js_only strapigql dist/server ;;
    cinder) paths=cinder; langs="--lang python" ;;
    ironic) paths=ironic; langs="--lang python" ;;
    etherpad) paths=node; langs="--lang javascript" ;;
    flowisecomp) paths=dist; langs="--lang javascript" ;;
    dagster) paths=dagster; langs="--lang python" ;;
    # mage_ai/server/frontend_dist holds the browser build: Python only
    mageai) paths=mage_ai; langs="--lang python" ;;
    # dist/node-definitions: generated type declarations of every node
    n8nnodes) paths="dist/nodes dist/utils"; langs="--lang javascript" ;;
    # dist/server only: public/ is the browser client
    thelounge) paths=dist/server; langs="--lang javascript" ;;
    pgadmin) paths=pgadmin4; langs="--lang python" ;;
    openwebui) paths=open_webui; langs="--lang python" ;;
    signalk) paths=dist; langs="--lang javascript" ;;
    samljackson) paths=dist; langs="--lang javascript" ;;
    buildbot) paths=buildbot; langs="--lang python" ;;
    lemur) paths=lemur; langs="--lang python" ;;
    keystone6) paths=dist; langs="--lang javascript" ;;
    payloadecom) paths=dist; langs="--lang javascript" ;;
    rdmo) paths=rdmo; langs="--lang python" ;;
    horizon) paths="horizon openstack_auth openstack_dashboard"; langs="--lang python" ;;
    centralledger) paths="src migrations seeds scripts config"; langs="--lang javascript" ;;
    formio) paths="index.js install.js main.js server.js src test"; langs="--lang javascript" ;;
    nova) paths=nova; langs="--lang python" ;;
    askbot) paths=askbot; langs="--lang python" ;;
    webinypb) paths=.; langs="--lang javascript" ;;
    # the server: public/ is the browser application
    nodebb) paths="app.js loader.js bcrypt.js src install test"; langs="--lang javascript" ;;
    manila) paths=manila; langs="--lang python" ;;
    lnbits) paths=lnbits; langs="--lang python" ;;
    # the application's .ts/.js, server and client; the .tsx React views are left out (the
    # ast-grep rules of bench/scan.sh read no .tsx)
    lobehub) paths="src packages"; langs="--lang javascript --lang typescript" ;;
    umami) paths=src; langs="--lang javascript --lang typescript" ;;
    # the proxy server (FastAPI, Prisma, Redis); the SDK's provider adapters are a library
    litellm) paths=litellm/proxy; langs="--lang python" ;;
    privacyidea) paths=privacyidea; langs="--lang python" ;;
    # the nodes and their helpers; dist/node-definitions holds generated type declarations
    n8nlangchain) paths="dist/nodes dist/utils dist/credentials"; langs="--lang javascript" ;;
    actualsync) paths=build; langs="--lang javascript" ;;
    # the feature server, registry and offline stores; the built web UI is a bundle
    feast) paths=feast; langs="--lang python" ;;
    neutron) paths=neutron; langs="--lang python" ;;
    # the server's own sources (lib/ is their compiled copy)
    companion) paths=src; langs="--lang javascript" ;;
    # the runtime: services, databases, protocol adapters
    sapcds) paths="lib libx bin server.js"; langs="--lang javascript" ;;
    letta) paths=letta; langs="--lang python" ;;
    argilla) paths=argilla_server; langs="--lang python" ;;
    # the Django models and adapters, the FastAPI routers and processors (the built web UI in
    # khoj/interface is JavaScript, not read with --lang python)
    khoj) paths=khoj; langs="--lang python" ;;
    bbcore) paths=dist/src; langs="--lang javascript" ;;
    supertokens) paths=lib/build; langs="--lang javascript" ;;
    glance) paths=glance; langs="--lang python" ;;
    invenio) paths=invenio_rdm_records; langs="--lang python" ;;
    # Kiwi TCMS ships its browser dependencies (tcms/node_modules): JavaScript, not read
    kiwitcms) paths=tcms; langs="--lang python" ;;
    trac) paths=trac; langs="--lang python" ;;
    # the core and its integrations (homeassistant/components)
    homeassistant) paths=homeassistant; langs="--lang python" ;;
    fittrackee) paths=fittrackee; langs="--lang python" ;;
    hyperkitty) paths=hyperkitty; langs="--lang python" ;;
    trytond) paths=trytond; langs="--lang python" ;;
    jsreport) paths=lib; langs="--lang javascript" ;;
    forestagent) paths=dist; langs="--lang javascript" ;;
    guillotina) paths=guillotina; langs="--lang python" ;;
    roundup) paths=roundup; langs="--lang python" ;;
    # Calibre-Web ships its browser scripts (calibreweb/cps/static): JavaScript, not read
    calibreweb) paths=calibreweb; langs="--lang python" ;;
    flaskbb) paths=flaskbb; langs="--lang python" ;;
    verdaccio) paths=build; langs="--lang javascript" ;;
    cubeapigw) paths=dist; langs="--lang javascript" ;;
    kinto) paths=kinto; langs="--lang python" ;;
    postorius) paths=postorius; langs="--lang python" ;;
    sentryplugins) paths=sentry_plugins; langs="--lang python" ;;
    noderedrt) paths=lib; langs="--lang javascript" ;;
    membersapi) paths="lib index.js"; langs="--lang javascript" ;;
    heat) paths=heat; langs="--lang python" ;;
    octavia) paths=octavia; langs="--lang python" ;;
    doccano) paths=backend; langs="--lang python" ;;
    jupyterhub) paths=jupyterhub; langs="--lang python" ;;
    designate) paths=designate; langs="--lang python" ;;
    strapiupload) js_only strapiupload dist/server ;;
    strapiup) js_only strapiup dist/server ;;
    webinycms) paths=.; langs="--lang javascript" ;;
    backstageauth) paths=dist; langs="--lang javascript" ;;
    nocobaseacl) paths=dist/server; langs="--lang javascript" ;;
    medusaproduct) paths=dist; langs="--lang javascript" ;;
    argus) paths=argus; langs="--lang python" ;;
    oscarapi) paths=oscarapi; langs="--lang python" ;;
    owcontroller) paths=openwisp_controller; langs="--lang python" ;;
    owradius) paths=openwisp_radius; langs="--lang python" ;;
    scancodeio) paths="scanpipe scancodeio"; langs="--lang python" ;;
    vulnerablecode) paths="vulnerabilities vulnerablecode vulntotal"; langs="--lang python" ;;
    pulpcontainer) paths=pulp_container; langs="--lang python" ;;
    owusers) paths=openwisp_users; langs="--lang python" ;;
    owtopology) paths=openwisp_network_topology; langs="--lang python" ;;
    graphite) paths=webapp/graphite; langs="--lang python" ;;
    medusacart) paths=dist; langs="--lang javascript" ;;
    nocobaseusers) paths=dist/server; langs="--lang javascript" ;;
    fides) paths=fides; langs="--lang python" ;;
    oskeystone) paths=keystone; langs="--lang python" ;;
    n8ndb) paths=dist; langs="--lang javascript" ;;
    strapirw) js_only strapirw dist/server ;;
    nocobaseds) paths=dist/server; langs="--lang javascript" ;;
    pulprpm) paths=pulp_rpm; langs="--lang python" ;;
    pulpansible) paths=pulp_ansible; langs="--lang python" ;;
    owmonitoring) paths=openwisp_monitoring; langs="--lang python" ;;
    machina) paths=machina; langs="--lang python" ;;
    djwiki) paths=wiki; langs="--lang python" ;;
    coldfront) paths=coldfront; langs="--lang python" ;;
    djledger) paths=django_ledger; langs="--lang python" ;;
    mezzanine) paths=mezzanine; langs="--lang python" ;;
    goldenconfig) paths=nautobot_golden_config; langs="--lang python" ;;
    ora2) paths=openassessment; langs="--lang python" ;;
    ssot) paths=nautobot_ssot; langs="--lang python" ;;
    filer) paths=filer; langs="--lang python" ;;
    dlm) paths=nautobot_device_lifecycle_mgmt; langs="--lang python" ;;
    pulpdeb) paths=pulp_deb; langs="--lang python" ;;
    owfirmware) paths=openwisp_firmware_upgrader; langs="--lang python" ;;
    proctoring) paths=edx_proctoring; langs="--lang python" ;;
    medusaful|medusapromo|medusaprice) paths=dist; langs="--lang javascript" ;;
    strapicr) js_only strapicr dist/server ;;
    strapii18n) js_only strapii18n dist/server ;;
    vendurepay) paths=package; langs="--lang javascript" ;;
    pulppy) paths=pulp_python; langs="--lang python" ;;
    owipam) paths=openwisp_ipam; langs="--lang python" ;;
    phoenix) paths=phoenix; langs="--lang python" ;;
    fief) paths=fief; langs="--lang python" ;;
    datasette) paths=datasette; langs="--lang python" ;;
    jpserver) paths=jupyter_server; langs="--lang python" ;;
    chainlit) paths=chainlit; langs="--lang python" ;;
    dstack) paths=dstack; langs="--lang python" ;;
    lightrag) paths=lightrag; langs="--lang python" ;;
    opal) paths=opal_server; langs="--lang python" ;;
    flower) paths=flower; langs="--lang python" ;;
    openhands) paths=openhands; langs="--lang python" ;;
    r2r) paths=core; langs="--lang python" ;;
    mautrixtg) paths=mautrix_telegram; langs="--lang python" ;;
    maubot) paths=maubot; langs="--lang python" ;;
    langbot) paths=langbot; langs="--lang python" ;;
    skypilot) paths=sky; langs="--lang python" ;;
    redbot) paths=redbot; langs="--lang python" ;;
    moonraker) paths=moonraker; langs="--lang python" ;;
    astrbot) paths=astrbot; langs="--lang python" ;;
    autogen) paths=autogenstudio; langs="--lang python" ;;
    ralph) paths=ralph; langs="--lang python" ;;
    mautinsta) paths="mautrix_instagram mauigpapi"; langs="--lang python" ;;
    tribler) paths=tribler; langs="--lang python" ;;
    jesse) paths=jesse; langs="--lang python" ;;
    opsdroid) paths=opsdroid; langs="--lang python" ;;
    strapidt) js_only strapidt dist ;;
    cognee) paths=cognee; langs="--lang python" ;;
    graphiti) paths=graphiti_core; langs="--lang python" ;;
    marimo) paths=marimo; langs="--lang python" ;;
    archivebox) paths=archivebox; langs="--lang python" ;;
    freqtrade) paths=freqtrade; langs="--lang python" ;;
    flexget) paths=flexget; langs="--lang python" ;;
    openrem) paths=openrem; langs="--lang python" ;;
    nocofm) paths=dist/server; langs="--lang javascript" ;;
    fab) paths=flask_appbuilder; langs="--lang python" ;;
    pulpmaven) paths=pulp_maven; langs="--lang python" ;;
    harvest) paths=ckanext/harvest; langs="--lang python" ;;
    mem0) paths=mem0; langs="--lang python" ;;
    nocoauth) paths=dist/server; langs="--lang javascript" ;;
    ephios) paths=ephios; langs="--lang python" ;;
    mistral) paths=mistral; langs="--lang python" ;;
    galaxyweb) paths=galaxy/webapps; langs="--lang python" ;;
    slauth|sltenant) paths=src; langs="--lang typescript" ;;
    faraday) paths=faraday; langs="--lang python" ;;
    inginious) paths=inginious; langs="--lang python" ;;
    owox) paths=dist; langs="--lang javascript" ;;
    # the generated schema modules (lexicons) are left out
    atprotopds) echo 'lexicons/' > "$here/.corpus/atprotopds/dist/.ignore"; paths=dist; langs="--lang javascript" ;;
    tacker) paths=tacker; langs="--lang python" ;;
    flowfuse) paths=forge; langs="--lang javascript" ;;
    bugsink) paths="alerts bsmain bugsink compat ee events files ingest issues performance phonehome projects releases snappea tags teams theme users sentry_sdk_extensions"; langs="--lang python" ;;
    kallithea) paths=kallithea; langs="--lang python" ;;
    tiledesk) paths="app.js errorCodes.js jobs.js jobsManager.js channels config event lib middleware migrations models pubmodules routes services utils websocket"; langs="--lang javascript" ;;
    fdmmonster) paths=dist; langs="--lang javascript" ;;
    spirit) paths=spirit; langs="--lang python" ;;
    byro) paths=byro; langs="--lang python" ;;
    intlayer) paths=dist/esm; langs="--lang javascript" ;;
    automatisch) paths=src; langs="--lang typescript" ;;
    rucio) paths=rucio; langs="--lang python" ;;
    nemoce) paths=NEMO; langs="--lang python" ;;
    tfsales) paths=server; langs="--lang typescript" ;;
    nodeeweb) paths="src/app src/controllers src/models src/routes src/variables src/bin src/global.mjs src/request.mjs src/seo.mjs src/index.js"; langs="--lang javascript" ;;
    bottlecrm) paths="accounts automation business_hours cases common contacts crm interactions invoices leads macros opportunity orders projects tasks webforms webhooks"; langs="--lang python" ;;
    djangocrm) paths="analytics chat common crm help massmail quality settings tasks voip webcrm"; langs="--lang python" ;;
    allianceauth) paths=allianceauth; langs="--lang python" ;;
    lennenest) paths=src; langs="--lang typescript" ;;
    devilry) paths=devilry; langs="--lang python" ;;
    # skyvern/client is an SDK generated from the API's schema
    skyvern) echo 'client/' > "$here/.corpus/skyvern/skyvern/.ignore"; paths=skyvern; langs="--lang python" ;;
    blockletsvc) paths=api; langs="--lang javascript" ;;
    stamhoofd) paths=src; langs="--lang typescript" ;;
    # gpustack/client/generated_*.py: an API client generated from the server's schema
    gpustack) echo 'generated_*.py' > "$here/.corpus/gpustack/gpustack/client/.ignore"; paths=gpustack; langs="--lang python" ;;
    openslides) paths=openslides; langs="--lang python" ;;
    # compiled TypeScript: the .js is scanned, not the .d.ts declarations beside it
    mage) paths=lib; langs="--lang javascript" ;;
    learncard) paths=src; langs="--lang typescript" ;;
    haupt) paths=haupt; langs="--lang python" ;;
    # sickchill/adba: an AniDB client library the package bundles, not the application
    sickchill) echo 'adba/' > "$here/.corpus/sickchill/sickchill/.ignore"; paths="sickchill frontend SickChill.py"; langs="--lang python" ;;
    # compiled TypeScript: the .js is scanned, not the .d.ts declarations beside it
    ewbackend) paths=dist/js; langs="--lang javascript" ;;
    # the TypeScript sources (dist/src is their compiled copy)
    openiot) paths=src; langs="--lang typescript" ;;
    evap) paths=evap; langs="--lang python" ;;
    squad) paths=squad; langs="--lang python" ;;
    # the server's code, without the browser scripts of public/
    cnpm) paths="bin common config controllers lib middleware models routes servers services sync tools dispatch.js index.js worker.js"; langs="--lang javascript" ;;
    # the server is the package's top-level modules; public/, agents/ and rdp/ are browser and
    # agent code
    meshcentral) paths="$(cd "$here/.corpus/meshcentral" && echo *.js)"; langs="--lang javascript" ;;
    # the CRM's Django apps (its browser scripts and bundled TinyMCE are not Python); the wheel's
    # top-level mediagenerator is a vendored copy of django-mediagenerator
    creme) paths=creme; langs="--lang python" ;;
    # udata/flask_mongoengine is a vendored copy of flask-mongoengine
    udata) echo 'flask_mongoengine/' > "$here/.corpus/udata/udata/.ignore"; paths="udata udata_search_service"; langs="--lang python" ;;
    # the TypeScript sources (dist holds their compiled copies)
    contember) paths=src; langs="--lang typescript" ;;
    # the TypeScript sources (bin/hydrooj.js only launches them)
    hydro) paths=src; langs="--lang typescript" ;;
    mindsdb) paths=mindsdb; langs="--lang python" ;;
    dirac) paths=DIRAC; langs="--lang python" ;;
    # the server's compiled modules and its knex migrations; lib/web holds the browser bundles
    # and lib/cli/templates the starter bots the command line copies
    botpress) printf 'web/\ncli/templates/\n' > "$here/.corpus/botpress/lib/.ignore"
      paths="lib migrations"; langs="--lang javascript" ;;
    # the server (scripts/ holds development scripts)
    dadi) paths="dadi utils config.js index.js main.js start.js"; langs="--lang javascript" ;;
    # every package of the wheel: the core, the marketplace and each provider's plugin
    waldur) paths="$(cd "$here/.corpus/waldur" && ls -d waldur_* | grep -v '\.dist-info$' | tr '\n' ' ')"
      langs="--lang python" ;;
    resolwe) paths=resolwe; langs="--lang python" ;;
    # the Sails server (assets/ and www/ hold the browser code and its builds, apidoc/ a
    # generated site, tasks/ the Grunt build)
    gladys) paths="api config test app.js index.js init.js dev.js"; langs="--lang javascript" ;;
    coko) paths="src authorization.js"; langs="--lang javascript" ;;
    # Allegro's Ralph 2 (the sdist's src/ holds the application)
    allegroralph) paths=src/ralph; langs="--lang python" ;;
    djangolfs) paths=lfs; langs="--lang python" ;;
    # the emulator's compiled server (no browser code in the package)
    azurite) paths=dist/src; langs="--lang javascript" ;;
    # the compiled server and the code it shares with the client (build/client holds the
    # browser bundles)
    kresus) paths="build/server build/shared bin/kresus.js"; langs="--lang javascript" ;;
    # the Django application only: sentry/static holds the browser bundles; the wheel's other
    # packages are vendored libraries (social_auth, sudo, bitfield, django_picklefield) and
    # sentry_plugins, the code of the sentryplugins corpus
    sentry) paths=sentry; langs="--lang python" ;;
    # lino_xl/lib/extensible/static holds a bundled Ext JS calendar (JavaScript, not read)
    linoxl) paths=lino_xl; langs="--lang python" ;;
    # the hapi server and its route plugins (bin/server, the start script, has no .js suffix)
    screwdriver) paths="plugins lib index.js"; langs="--lang javascript" ;;
    # the Express API, its lambdas and helpers; dist/ holds their webpack bundles and the
    # lambdas' zip files
    cumulus) paths="app bin endpoints lambdas lib models src index.js ecs/async-operation/index.js"; langs="--lang javascript" ;;
    # the TOM Toolkit's Django apps; their static/ folders hold browser scripts (htmx, Aladin)
    tom) paths="tom_alerts tom_base tom_calendar tom_catalogs tom_common tom_dataproducts tom_dataservices tom_observations tom_setup tom_targets"; langs="--lang python" ;;
    # OpenStack Watcher: its pecan API, decision engine, applier, SQLAlchemy layer and tests
    watcher) paths=watcher; langs="--lang python" ;;
    # the Koa server's sources (lib/ is their Babel build, performance/ holds load-test scripts)
    openhim) paths=src; langs="--lang javascript" ;;
    # the compiled NestJS modules (lib/generator is the CLI's CRUD code generator, not server code)
    comet) echo 'generator/' > "$here/.corpus/comet/lib/.ignore"; paths=lib; langs="--lang javascript" ;;
    # Fidus Writer's Django apps and Channels consumers; their static/ folders hold the browser
    # editor (JavaScript, not read)
    fiduswriter) paths=fiduswriter; langs="--lang python" ;;
    # the wafer conference app's Django apps (static/ holds two browser scripts, not read)
    wafer) paths=wafer; langs="--lang python" ;;
    # the Lighthouse CI server: Express routes, Sequelize storage and cron jobs (src/ui and dist/
    # are the browser UI, storybook-static its Storybook)
    lhci) paths="src/server.js src/api src/cron"; langs="--lang javascript" ;;
    # Kottster's compiled Express/knex admin-panel server (its React UI ships in another package)
    kottster) paths=dist; langs="--lang javascript" ;;
    wildduck) paths="lib imap-core/lib imap-core/index.js plugins migrations api.js imap.js lmtp.js pop3.js server.js tasks.js webhooks.js worker.js indexer.js acme.js mcp.js prometheus.js"; langs="--lang javascript" ;;
    django) paths=django; langs="" ;;
    scrapy) paths=scrapy; langs="" ;;
    peewee) paths="peewee.py playhouse"; langs="" ;;
    ghost) paths="core/server core/frontend core/shared"; langs="" ;;
    budibase) paths=src; langs="--lang javascript --lang typescript" ;;
    *) paths=dist; langs="--lang javascript --lang typescript" ;;
  esac
}
