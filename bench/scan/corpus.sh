#!/usr/bin/env bash
# Downloads the scan benchmark corpora — real codebases from the package registries, pinned by
# exact version and sha256 — into bench/scan/.corpus/ (gitignored). Re-runnable: a corpus that
# is already unpacked is left alone. Never run by CI.
#
#   bash bench/scan/corpus.sh            # all corpora
#   bash bench/scan/corpus.sh django     # only the named ones
#
# Each corpus ends up in .corpus/<name>/ (the archive's top folder stripped).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/.corpus"
mkdir -p "$dest/dl"

# name  registry  package  version  sha256
# (`pypi-wheel`: the wheel, which holds the application's own source and needs no build step;
# `pypi-wheel-py312`/`-py313`: the same for a wheel that requires Python 3.12/3.13.)
CORPORA="
django   pypi  django    5.2.8   23254866a5bb9a2cfa6004e8b809ec6246eba4b58a7589bc2772f1bcc8456c7f
scrapy   pypi  scrapy    2.13.3  bf17588c10e46a9d70c49a05380b749e3c7fba58204a367a5747ce6da2bd204d
peewee   pypi  peewee    3.18.3  62c3d93315b1a909360c4b43c3a573b47557a1ec7a4583a71286df2a28d4b72e
mongoose npm   mongoose  8.19.1  b52bc2949cef8eb01f9c30daf7ab3cc64125030a1d89edc0da431fc8f98992d2
knex     npm   knex      3.1.0   2bc4381e4c1d47673b30c2ed464e538bfd1976be1238bfb0085ae601e16157eb
express  npm   express   5.1.0   dd6bdb4d4e54d520c78443d5c35aa4ae552be1837e8650d2ec1641df99393e1b
ghost    npm   ghost     6.65.0  891f68c7da02fe376b1a23e1f28e311da6304dbc95a81b589ff5c4be2c91dc89
wagtail  pypi-wheel wagtail 8.0.1 1e6ad5c7891a54efce1400e168298b5a2cc343b642cee89c31bf5ec30c98b26c
directus npm   @directus/api 39.2.1 d07fbba622318f3a3d9f277f21093eb426a01b09b30fe37158df2c1654664265
pretix   pypi-wheel pretix 2026.8.0 a78932e698778d873530d67f25a57c28d1c09b1bfb1a22ec817c00d90397db85
unleash  npm   unleash-server 8.2.0 1c9c981709a7261661c4754ef3a2030c5ebde5e90033b05255a310c47e28efbf
weblate  pypi-wheel weblate 5.14.3 0bc2c5a49ebc496758e89f08d5ec9d1b226e8aba2cff7744a18ab9f235dca816
superset pypi-wheel apache-superset 6.1.0 4b5886b2d6389a32df790aeae2532ad72529bce1af93b6edf2d1b2a8bf658748
medusa   npm   @medusajs/medusa 1.20.10 173d3ac5e035a921f79f05fe3aad23683365e18a13ca4027d5ea39bc1be0367c
n8n      npm   n8n 2.8.4 fd31b633e2afc50fdbff5a542d06193f2a3b21e82257f8df7d06d829a9f834f1
misago   pypi-wheel misago 0.39.6 57152ffa4d5d567803594b49163a7b399e93fab438f99ab4a463459936eb9f00
mlflow   pypi-wheel mlflow 3.18.0 be7d84ba0d0b12392f5b53260cdb3e6d7b7ef4b80c29da90a89b5a1f6db7102f
payload  npm   payload 2.32.3 376282d1bee7ec69d972a126ef1ac8ca25fc453cd5c0d28ab1b86c64cd6eeac7
budibase npm   @budibase/server 3.38.1 9c7119c039b41c259f7ac7094bbfd2d3414717a0c02c36c9fab81d7a30eca792
nautobot pypi-wheel nautobot 3.2.7 0742bcb18aaf08dc45891f2c410707d4c6467089944a01ad6a836b37899ca843
indico   pypi-wheel indico 3.2.9 194d2e31ccaabd2b9af7809e67d60d942faee35a6b4de36f0c2c280a32ed84c3
vendure  npm   @vendure/core 3.7.3 44d7f5bdfc4757016a2ff2b14a8120be338d76effc240a5f7ce98ca99ac29b5a
flowise  npm   flowise 3.1.2 5a539efabdffc6f7496bb664f33601d6bbfffd533919b279ef6ee9e01b12920b
ckan     pypi-wheel ckan 2.12.0 3b41cb4860286813fbcd18c57341e96edba266e2e492aeea92c4e03ce9e2934e
labelstudio pypi-wheel label-studio 1.23.2 c575b2552d0b271554224c5e56ab2ce9449c6e62a0b4851bc8c706d8fe651137
medusa2  npm   @medusajs/medusa 2.21.2 7e8dafaadf833fb200044dc1b9f6ce2cb56f493c5a89391849e86b0022af749c
novu     npm   @novu/application-generic 0.24.2 defdbe09a43e72ca3091fb0026531a216e8ca309124b2ecfcf87287afe58a339
synapse  pypi-wheel matrix-synapse 1.163.2 6cecae98b6e1b55dd68e689329cf1677cba103d4160c320f04b26bd081ff1558
prefect  pypi-wheel prefect 3.9.1 0c662e26e971b617993eed1f3d02fb8bc3c2dd47bee521b495f6e4dfeb38ae74
coreflows npm  @medusajs/core-flows 2.21.2 a4f8e280ecbf7dcd11a699b8de53a64ad8faa782a671464c581f802579671d33
kuzzle   npm   kuzzle 2.56.0 1a126e904fae5a8da0fdc8a29c305ac8e3bbd74d03e7f35bc5dc6e3a7afb1c87
mayan    pypi-wheel mayan-edms 4.12.2 5eb0deccb29199a7add33a757161f3f461aa3b00451de13027049258dd412f67
airflow  pypi-wheel apache-airflow-core 3.3.2 99258922bccec15be4700ff89f3c942b8acd93407e263c287ce863e671bb3c50
oneuptime npm  @oneuptime/common 9.5.13 47a95ec87e1e899818810307fe5caf7d61ab37fbc92759203c9a69008ac84a7c
evershop npm   @evershop/evershop 2.2.1 4e476f9ad7bd43b576c8d640b43f82788ff70afc1853b3eda953bb15d1507a9d
zenml    pypi-wheel zenml 0.98.0 801ffbe1821bd48dfc03c9fd5519f5a7d4387d86b3d48d08bd2057dfcde5ad30
geonode  pypi-wheel geonode 5.1.1 00edf4cdfdbca7eaaef9a2f36e383a95eb87fef96060b8577977987b9ef52194
keystone4 npm  keystone 4.2.1 f463205e79df3a0789d4fea1c3719b42722eb2954ad9a4aef7421aac4a5600a7
apostrophe npm apostrophe 4.32.2 e2e2a124200ef8bd7731cea7a1b8796a865e08b59be4da1fdb6984dff526610c
tendenci pypi-wheel tendenci 16.30 e53c25423c369dbeaa077a9ac0eedbc9aff7fa1c1476160ff219d04915d73ea7
langflow pypi-wheel langflow-base 1.13.0 e15db23e16cf27d6d1ac8fcc5030cf25ad3a04356a9581862b4e97de739dd3a2
unchained npm @unchainedshop/api 4.8.27 1c200b7eca42aa6f74856294fbd3e6e71175472940d4fe1267f660f15229d3ec
strapiadmin npm @strapi/admin 5.54.0 b8ffe0b7078f8bc15dfc10cd2f135cb8477cccc086849838ca3f47137c3a3598
shuup    pypi-wheel shuup 3.1.0 535b41374d3288261206cb3ffba2a4565a54bd8c30d88e0143e81388e03b78cb
zou      pypi-wheel zou 1.0.97 54d235fbe30cf6d2ec251ea07887a827a91c157722bd7f48b1c1a878b1c7d131
parseserver npm parse-server 9.10.0 0a2d78e30660fd18034a33ab90e3ba28c890e1d233da791c16d241f89dd1ead7
strapicore npm @strapi/core 5.54.0 17e56c6bd32eb3866309da7165cd3cdc7b0f01ce753156a351cb5d4d79c925d1
arches   pypi-wheel arches 8.1.5 5818cca8656ea6e3f141709f2352c8b66f6b0ecb96ed55c3e063d872ebd8cdda
superdesk pypi-wheel superdesk-core 2.5.3 cf7cae91b31bb174adc9eae0755c158287500ce40333c19bc5559635b360910f
catalog  npm   @backstage/plugin-catalog-backend 4.0.5 6fd84e22cc82b42100a0191a80e2ab68f64f279ef196903bd9e1e61fc67d8635
nocoflow npm   @nocobase/plugin-workflow 2.2.15 a9f0227da3fe2a0a95afb6d32c41a74842784723d54d9830d149220d9b8c555b
oscar    pypi-wheel django-oscar 4.2.1 adbb95ea0130859c204cc6fb221052d6d437ecbaa90800e8418a809f72645e9c
mailman  pypi-wheel mailman 3.3.10 0f63ed38efa938357074e993d6a9b2d81bedaab92f5b3ecdd519890259893f37
scaffolder npm @backstage/plugin-scaffolder-backend 4.3.0 3673f89b50a69d1e40e6fdc710737d27b139f729202d9ea8e03b068064a2ad3a
strapicm npm   @strapi/content-manager 5.54.0 4d2fcbcc1392e2526c7f9f9b414c55e40fe9adfd5bd3cbe9ac4d5645c2262b19
pulpcore pypi-wheel pulpcore 3.123.1 93652191c82e1543a3ed2f62ee9e58eec892a0e79138461bffb8ce8905b9cfea
galaxy   pypi-wheel galaxy-ng 4.9.2 9ac17528beb2a52aa80e10cbf5779238768c7cfa6a69372cd8d2253a6198546e
medusaorder npm @medusajs/order 2.21.2 0f2699306def7e7c3e81149d8b909e5dc71b312e107327ad7a202ec3adde6223
backstagedefaults npm @backstage/backend-defaults 0.19.0 8714be25f7c5014078fd4e5046963b8711cca358a04767d08191be54b74f8a18
edxenterprise pypi-wheel edx-enterprise 8.18.0 4aaf7f1f7b37283850f778074a4d5dc13151713473ed76d7d777ca8df7695735
kolibri  pypi-wheel kolibri 0.19.5 dc4c187d29a80037594c2dadd1cbc862cb4b8b76166bfd4084314f8ab2bc6221
saltcorndata npm @saltcorn/data 1.6.2 e9f3bb8a2d9d260429bb4e690a75e54d3b77e12aed656c552d9b48ace320064c
saltcornserver npm @saltcorn/server 1.6.2 35a127a68bf2cb8098048e44bab13227ffe6d8479a9a519d84f53896532c0f8e
pretalx  pypi-wheel pretalx 2025.2.2 39e99ae2c8ad4a6a17d2ee022fc52369a0ac398762cac537de7833c664828440
wger     pypi-wheel wger 2.1 eeb67b4184137b83cb6ee4c2dff2935c6de3d3633dc20279fe9b1d0c91160a32
rcaccounts npm @reactioncommerce/api-plugin-accounts 2.0.4 52bd93b1778577ad615325392b80a4612121d49a1374e7defbce4f8586f2d067
rcorders npm   @reactioncommerce/api-plugin-orders 1.4.5 68dc73bfdb5eb743912986d84d2b1d06d436fb716dcc276e2fdaba8ddf2963dc
rccarts  npm   @reactioncommerce/api-plugin-carts 1.3.5 6f86e551d8ff94bec365fa90b0d03d55c57de424cc40a06086bd8d0859a14a08
evennia  pypi-wheel evennia 5.0.1 471d5259f089d2f32e09cd9f383390c076093b9e2a6f661e0cd91eed59d67bcf
djangocms pypi-wheel django-cms 5.1.3 acf31919aab389d2bea253efa97a901bf55e96046a252f23a7a742e495848a5e
modoboa  pypi-wheel modoboa 2.12.0 f3ad5957a2069f3221814979f7144aeb2a541539009a03a534ec19b4f65306e0
uptimekuma npm uptime-kuma 2.0.0-dev.0 71d517993d81d94b99279654991ddf1b5c127f021ca8705e2d7c8b7405d565c0
nocobaseserver npm @nocobase/server 2.2.15 af52dfd80e07ad6fdb8c62f1ead0671e939d66853fef7a115693ded48fed22fb
netbox   pypi-wheel-py312 netbox 4.7.3 bd7828fe28ba7773bf8666560562c16d64297b15adfa37b4c3d7a7569496123d
reviewboard pypi-wheel ReviewBoard 8.1 efbac759430425a99a09435f566d5dc61e30624b3a80ba2e04e578591d2a31f5
openneuro npm  @openneuro/server 5.1.3 86afd69b101c76072c294553f916a7b24b1447ba53e8eb437b3d4a32deab2037
strapigql npm  @strapi/plugin-graphql 5.54.0 e1df993cbedd5c681aa7a393ff7f9ed341c974cb41bc648f38feddd25fa8b020
cinder   pypi-wheel cinder 29.0.0 da8b1441740fb2dcfd76138607c6a96fc14d2548826741a6246bbd0d73f88860
ironic   pypi-wheel ironic 39.0.0 99250b7ec5bc4736279984652acdf51e5af99a6e5ffd8f06d51820990639f4cb
etherpad npm   ep_etherpad-lite 1.8.14 b380d8e25a5ef844522e6d62adbd433bcabcc9d12b88ca3c10d312e86c39aea9
flowisecomp npm flowise-components 3.1.4 fe47e00385fc874bdb1ecfc49dbed589f3a480d47702f00bdc62b3fc7094cc0a
dagster  pypi-wheel dagster 1.13.29 65f7bf2f52c0c1219cb1ca63a1f0f95a1af83d12e94ebec7598e47ee49889859
mageai   pypi-wheel mage-ai 0.9.80 1be6e3d0969d9724ee0742d5167ba188273691cad76ddd04857f3a9fd0a8f437
n8nnodes npm   n8n-nodes-base 2.41.2 d63bed213ca3595a018496d97913397c2f5c9ca55a2981435b19f80ddeaa98ca
thelounge npm  thelounge 4.5.2 482fc732e71135211da876f1f5e819e6d24f8ea09286e939a847ca51b9d5e983
pgadmin  pypi-wheel pgadmin4 9.18 9ea084fc416265e4fc95c9fb6e6ae0f6668d34da8670c9b65c79cea054124356
openwebui pypi-wheel open-webui 0.12.4 02e9caba96234db3fa17a92e56163b3f7f2b8ca8227fa886b85c178d696483f6
signalk  npm   signalk-server 2.32.0 283184cba10d1df7fa9fc08206667b6d2b6a6b5a119ab09a43e28216dc77c58b
samljackson npm @boxyhq/saml-jackson 26.2.0 3d446e8c5286a5eeafcb8d35c84c70e559e428bc71c61dbcb9f36ca542328854
buildbot pypi-wheel buildbot 4.3.0 5cd502825b1bbacda2ac0b24e6da5107dbbc2c54f80cd53100f85a5b2e30c400
lemur    pypi-wheel lemur 1.9.3 22d5d8723b4b8617dd4d648a483fc352bbc34e90e7546b2d9ad8b40d753a8f7b
keystone6 npm  @keystone-6/core 8.1.0 86bd2844c406417c906a70aec6699b76566b25154230f04d1192b7533c90a345
payloadecom npm @payloadcms/plugin-ecommerce 3.90.2 fcb7aba233e5c1cc68221a8f3efc15e367c721310411b8f7191dbf46e5b17f3c
rdmo     pypi-wheel rdmo 2.5.2 560d7972b219311d07ffb4f5fcb99334c2241cc2266bdc28b8b064299dbf9fb0
horizon  pypi-wheel horizon 27.0.0 8a981dae4fb6626e71553aa185f6e429b0b1efb86b04b0a72c3b18ee04f1f990
centralledger npm @mojaloop/central-ledger 19.5.5 f9ed73471fded7f5626a64df2531b7766704d2c10cf8af209236032e0ac3d157
formio   npm   formio 4.6.7 e9c9bb4ec8eb23d2c3a6cdb9c5ea4c0a20d677037f8e4db4913ae6abfbaca089
nova     pypi-wheel nova 34.0.0 8b46997836961762608e6e46e6d4945325d8a1fb8004e79e552e55839061f10c
askbot   pypi-wheel askbot 0.13.0 2e99699f05e750177fd56209aeca2421a2c766c090577e52f52952e83fcf2e59
webinypb npm   @webiny/api-page-builder 5.44.0 d575a8aef466ebd2f15be267292b8d0846042f1a779796cbd3fd54e5c21f6cec
nodebb   npm   nodebb 1.4.0 2680a7f89dbdb33a839352f2c8f106ba40e9eb23fb9cc0baa9676aede101b27b
manila   pypi-wheel manila 23.0.1 3237549ee1dc3fc0846190db6e657a9cc4e56f220c95baa9f48cbd1c550536c6
lnbits   pypi-wheel lnbits 1.6.2 25649a8b40f58e30e19aa9bb3c391a92b26e47cf9f028818fcab10b38a849339
lobehub  npm   @lobehub/chat 1.143.3 3d6a97b2371dc4530b8d70301e0b3e0f635c539503c72dcc937838aeb81b3f2e
umami    npm   umami 2.10.0 1544b6862a5bf5e19dc58c8c382f8de3fd9f3f1c2b4110fbf7de9d7f4bd58850
litellm  pypi-wheel litellm 1.110.2 9d94d1c7d524b6fd10c14f9c8c6c4f0ac31705f9964ac59dcfd8337c046d8917
privacyidea pypi-wheel privacyidea 3.14 86a24cbffa8a7316eab93eb220b4d8710ea68af2390990d0dddd58d7bd6947b1
n8nlangchain npm @n8n/n8n-nodes-langchain 2.41.1 2d259b615b614307d0e851ef49c7334389211093839eb52554571ba387841bb1
actualsync npm  @actual-app/sync-server 25.6.0 22d9eae6828b3b0e65a46afb342d5373e2ae0d49ba04be787f7e80a3966f8e8c
feast    pypi-wheel feast 0.67.0 98667313ae7663f3312174590461e28081112f46d982710867d4b97e0b0f2c66
neutron  pypi-wheel neutron 29.0.0 6e998e2e55d233ff757f3ae1d53dd8dfd2cb455a01868e494c22fd6b8b0aba36
companion npm  @uppy/companion 6.2.2 1604354e76057fd543b087e6329953d0de1703771dbab0ca840ad343fa118277
sapcds   npm   @sap/cds 9.9.3 00b81072ac5b65345651b046ebec100aab7076fa91f579dce36f7e4db03df4a3
letta    pypi-wheel letta 0.6.50 ded549b38d4b3d00d84e2c0111aac0df376b855d3de67f420aadf6891e1c4ebf
argilla  pypi-wheel argilla-server 2.8.0 e21a5c979ef6536fca634dc957469daca8fb09440c39b2fbeefb223459cc61e0
khoj     pypi-wheel khoj 1.42.10 03bb4ed6ce0189be5aa19453cd47ac4df27adc7508e6125b928b354d08d99b33
bbcore   npm   @budibase/backend-core 3.46.0 5a1a072df02bdacd1d034e48ad5da794ef99b1ca2765616c8ea804dee2611789
supertokens npm supertokens-node 24.0.3 fcf2a48f43513b016feb23ad58b85ab79c5cc33e7fc9144cd123fbd9a9212774
glance   pypi-wheel glance 33.0.0 680091845b2fb8e395926a6760f82b569facb6fd0521a0cfaa0fa2bc014d3701
invenio  pypi-wheel invenio-rdm-records 36.0.0 f6679fd76f2a2e170cf04c3e097433b26abba8ed4ecaee0b1c886c989229b52b
kiwitcms pypi-wheel kiwitcms 12.4 9d03837d1dcb27b4f22839e4f48d590243caf5666702e70f2b1c4ecdc85179fd
trac     pypi-wheel Trac 1.6 5ff2f3394ebee7cc5b8ee465871cfdecb78ee492a74215b47b6d9ddbcc93b5f7
homeassistant pypi-wheel-py313 homeassistant 2025.4.4 b7970fe3ce3a9d032a3a5dee3cbf71b227e7f23fad14a23855ee252542ef2631
fittrackee pypi-wheel-py312 fittrackee 1.3.6 6aefd582e04de2ab6abb80d7910fa2260107c9f96bd67f846e1595cc2b05c28e
hyperkitty pypi-wheel hyperkitty 1.3.12 4205862e1d323e972bcb7447f1962da925709c7be43e663ffdc7bc7fa51e514d
trytond  pypi-wheel trytond 8.2.1 49068fb353e3f361d75d492d14c896cf5d8a42448c2f0b87d6cdbeeae7badafc
jsreport npm   @jsreport/jsreport-core 4.11.2 1b8e03d7edbbd258f29486bdcf7c8d9bc04decd3434241eab5b1154619a4e775
forestagent npm @forestadmin/agent 1.78.11 4451fe5a1616cb47c31e2510e0374aa0c9b23ce6a334a4caf407318da942b1b7
guillotina pypi guillotina 7.1.5 60e90541935fe7b24c706059aa7fb68d8f639bb45a5f0e5afd3feb84d09d6e04
roundup  pypi  roundup 2.6.0 12fd8fb806047415f22131f965c6ab4026a28dc63f7054e055c8f891950591d4
calibreweb pypi-wheel calibreweb 0.6.27 c6d4173d31a4495e09c615857f30f0d03d9f7eabc7bb50558164f67083d4f72d
flaskbb  pypi-wheel flaskbb 2.0.2 58a6490057efa31de28e2f44dc6a179743206fa4f601dde1558ef712697b9395
verdaccio npm  verdaccio 6.10.4 3c49408853f92f879d33e6f9736f25470d1bb31529469de5e946dcf3d9a8ec82
cubeapigw npm  @cubejs-backend/api-gateway 1.7.43 fbf18a700fdc8f822c4a51c4398d5d321be8a899d38c467631f60d91271041c8
kinto    pypi-wheel kinto 26.5.0 886a877bc33a810324ca57a4c48bfebd74de440405d194b649c414e34fa614a1
postorius pypi-wheel postorius 1.3.13 a13f3b6856cf8f0f454efbf7d642d06912867e8f0befb98a43cd604e04532ffe
sentryplugins pypi-wheel sentry-plugins 9.1.2 7e096012e5d0d9de57e5341da93c694a072a9089cba84c0e2b1e9d7e954ba5eb
noderedrt npm  @node-red/runtime 5.0.7 6feb6c579e8189b8490b9212178393a7bb1cd839bb17629b07edfb4a7cb8cd09
membersapi npm @tryghost/members-api 8.3.0 daac9ca6b6a4205f69e681e0a1a93c2c58b0c70af15316b60389706c45053e1d
heat     pypi-wheel openstack-heat 27.0.1 6eb3e0e15da4e86a3f3c21543efcf65c5848412eb1864423ce4cff56c435897f
octavia  pypi-wheel octavia 19.0.0 63e1396b940cab6d9e0fd8d3907bc74886a0e1cf77547cc4d8c7da5987fc961c
doccano  pypi-wheel doccano 1.8.4 19b1ac9c0c78f0d02265cb0086c04a77d1f0c4a850d0d27a7014986d66eb1025
jupyterhub pypi-wheel jupyterhub 6.1.1 ae20ed7b3d7cef1dd5d51e28723fd53853d69f732e7a9e84a73136acab454248
designate pypi-wheel designate 23.0.0 5df2306b4104fcf1f957d6d2ba4f9d5f9e6c18222b39fef9118a020e86417765
strapiupload npm @strapi/upload 5.54.0 516ae4d97cdc3cbd502989cd84d1f69a0852c1a4b891f11921e60d9210c73e44
strapiup npm   @strapi/plugin-users-permissions 5.54.0 425a0f617e0751cbd31c50656b3afc6972e74b5f7696fa7bfeac2f2968e3cbea
webinycms npm  @webiny/api-headless-cms 4.14.0 8abe7793d9eb5f94afd2e0fb52814e4c67388f28613155b251027c66a1d25826
backstageauth npm @backstage/plugin-auth-backend 0.31.0 5c3fc3e458700081e2cdcc9446eb7f324c8bbb9901da3c28a0aa25f40a41677d
nocobaseacl npm @nocobase/plugin-acl 2.2.15 2331e5672cc74bbafb53984c3aadfe884edec9bb0dc0bcf00a92b0b4dfaaff43
medusaproduct npm @medusajs/product 2.21.2 0d1e3fb47f968931f927c5f8c9c7789f628e6c2964d3edbabeef51f5531bd15d
argus    pypi-wheel argus-server 2.10.2 8fa0d1e041b09376118561d974e3429a06264a37a4eee1010d34cb80a1263258
oscarapi pypi-wheel django-oscar-api 3.3.0 4a92d7d984dd83ad17a4cc3e8d49c42fc85e85fbdb390a9f123f96f67334bf2e
owcontroller pypi-wheel openwisp-controller 1.3.2 fdb25cdd6769e56bb23ad7ad3368dc0166c7657c886a2101e2f842cd8becddc8
owradius pypi-wheel openwisp-radius 1.3.3 eae46bab12c7155b3b418736ac5bd11e44869f260e54d9cb4936d085da2b23a0
scancodeio pypi-wheel scancodeio 36.1.0 0f8fec3f37b3594238d0a67c8e9fe145a6d330ac11794d7d338f27b304aad6cc
vulnerablecode pypi-wheel vulnerablecode 36.1.3 3bfd51fb0da4b4d92ca11db63a299ca6a7fcb00a38e6068d1cab91e7cd6817e5
pulpcontainer pypi-wheel pulp-container 2.30.0 caa7daab00f696bc9984bfbe36045d21041cbb79d66a6972d73d5de3c1af0528
owusers  pypi-wheel openwisp-users 1.3.2 45451873e3bba504a3ccbee0044123775aa67b9632775c015d1d61e8a750043f
owtopology pypi-wheel openwisp-network-topology 1.3.1 f6c7ea63029e44987e6a8ba28b7523132642a39b87535ca585307c7617fd776e
graphite pypi    graphite-web 1.1.10 3f1868d505a8da3259600309c7df7d6db10b0d532bed6a7bc2cb2c60f91cd35a
medusacart npm  @medusajs/cart 2.21.2 ebf9014195ebaebfe13adad6e0f2a195c7d05260c71f18d5dcecd701d8959881
nocobaseusers npm @nocobase/plugin-users 2.2.15 cee42b5ca8f5745364f53c88014e2ca3dd83df07de249dd54d3ed5b356e16b0c
fides    pypi-wheel ethyca-fides 2.78.2 702e5d6bb753ab6abe0d9ead99470012976b0f5552bee7b2a0a1b4a415728ca1
oskeystone pypi-wheel keystone 30.0.0 d0fa097278b1c1eda5b2c727766322a6a8afac0ed848d3104253855d4d483515
n8ndb    npm   @n8n/db 1.41.2 aedc44982296d7b0d72d2b406ba7e96bca423732427091c0c7c23215d4ce1afb
strapirw npm   @strapi/review-workflows 5.54.0 4291ec88bdc342ae1978a538ef52702246b99a1b12cd07c4ec79f699efdc6aca
nocobaseds npm @nocobase/plugin-data-source-manager 2.2.15 a66bd367beb12b009ba404563ad890521e6be69a7add03c1985a737781e8f925
pulprpm  pypi-wheel pulp-rpm 3.39.4 bdef45f5f1247bd8bbd731e6aeb13f7f953d2edbb0cf06140be78027de597c3c
pulpansible pypi-wheel pulp-ansible 0.30.3 a7992fe40d89bf369841c267f080a5e3eafa6708e3793e08c2edb6b04f7e58ac
owmonitoring pypi-wheel openwisp-monitoring 1.3 26efb10af893578d4d5f1a9834610607bebb62f665dc90d0695a6c6324c48fbd
machina  pypi-wheel django-machina 1.3.1 df1779b49480269e3fdcc888ac26a501ab4428fe4e62b0e40d63c7a91bb2a6e5
djwiki   pypi-wheel wiki 0.13.0 5075e640ef89283876a65a8088a17dd43038b64d5bee3a65c0af2424fe13ede9
coldfront pypi-wheel coldfront 1.1.10 a6912f49b5832398d4dec1c88e80a2308583390f829d8d435ba0eafa029f5cd2
djledger pypi-wheel django-ledger 0.8.5 2625a23a63ac3e78b4a24125b9332f6854b7acae6e9c189db45433a3773e3ea3
mezzanine pypi-wheel mezzanine 6.1.1 abb8a3d7ee91b724d8aa89fa971bad1cf8e368c21055da4913e20e1418a96d1b
goldenconfig pypi-wheel nautobot-golden-config 3.0.8 3ed764defc992c59909e0794695c7b6126c4e7b9c09f08345eec411181cf9157
ora2     pypi-wheel ora2 7.1.1 31926f628c4a3df3619cd4ff431c88dc31d3f719825c73c12c313cda531b3af7
ssot     pypi-wheel nautobot-ssot 4.7.0 f0e666fceb2b1d914092d4738882c754b9d2a8f17e1fd0e30998d0ba684f47d8
filer    pypi-wheel django-filer 3.6.0 b441e081f0f5688d234815bd0421a1bafa10217eac31bdfe7c3ef3b092430bb3
dlm      pypi-wheel nautobot-device-lifecycle-mgmt 4.2.1 0363e785a5ed9fb9923e28a051efd70ddab494b5bffe4069a4a9a35c12e68362
pulpdeb  pypi-wheel pulp-deb 3.11.1 db86ccff48f80baebcd4d9bf0b974469ad13631cc5a9a9b1e40f4e1b23e6239f
owfirmware pypi-wheel openwisp-firmware-upgrader 1.3.1 dcc64fa67de355d36ba33fc8008390d7251ffa9f292f96f0b7a1b1ae8ff4fbda
proctoring pypi-wheel edx-proctoring 6.1.4 745a43623ed417c97fc0fa6f01c43367494e6efb0c89a6224bfec7cca3c1b749
medusaful npm  @medusajs/fulfillment 2.21.2 e3433e24f2566a4b645bdc7267933292748e0843b9eac341141058c72a82b77e
medusapromo npm @medusajs/promotion 2.21.2 c85589308810a6a782aff165a429f228b5070a3dbf326a233a0eb51901418c09
medusaprice npm @medusajs/pricing 2.21.2 fc2873f5de7092beee5c84bdfd006ac74455328325add3d6619227626f2eb2ba
strapicr npm   @strapi/content-releases 5.54.0 76612277feab3ba0cfe52e8999c84b37fb0555007cad1948660efec1767e987a
strapii18n npm @strapi/i18n 5.54.0 cb0be8816c619bc0027831dc89c0d8b525b9f2ef2a38a2c3e5498eec8df8b6c1
vendurepay npm @vendure/payments-plugin 3.5.6 488fb7735c24594ed9ff3baa9237c165ddf57b77289b35d1f88ba265813935c0
pulppy   pypi-wheel pulp-python 3.36.4 2b2314c890108be6a7c554fcaeb034df411982c67ad628a14fcbc485be36be15
owipam   pypi-wheel openwisp-ipam 1.3.1 d787f5089c71d23948c799095bf61d84153770f71df71564e093164510fe9905
phoenix  pypi-wheel arize-phoenix 20.26.1 dd318844cba1d7021d8accaa995b7f3716d559eab4afb549dfb1017dd51bab56
fief     pypi-wheel fief-server 0.27.0 e5361f33b37e31d928eae3f744b2dceddea72627c077ff3b2275faa55ec2e032
datasette pypi-wheel datasette 0.65.5 ca5faf528d4c1acc22e78b0274257435683ae6c75cf275939f2b92a10e498dbb
jpserver pypi-wheel jupyter-server 2.21.1 2a6467606af7dbae2e7e31640030025969e15db6a649eae334af90415dc71dca
chainlit pypi-wheel chainlit 2.12.0 17cbd2c408f775a123892984bf9170674b5c81a01f7a8af278912e2786253ffc
dstack   pypi-wheel dstack 0.22.5 e83cd6b7161f379ed173c012cd4d4149d1c395af6abf1dae61a9143f78e3cd04
lightrag pypi-wheel lightrag-hku 1.5.7 895b81d94ca447afc6290c0e049d339f6caed46fbf29e4324f6db987046c6fcb
opal     pypi-wheel opal-server 0.9.9 9f9307cc5432fd5a1992177a57a7eeb337e96eb554d6888a2322bb51bf1e8ff8
flower   pypi-wheel flower 2.2.0 374cbdd92282576ffab66b0da3c3038a2ba1ec34b343b8197dca2e85ce4209f1
openhands pypi-wheel-py312 openhands-ai 1.11.0 833de097150d498ffc7e175869df4723aec4a6b3c0be27545ca37089e6452c8f
r2r      pypi-wheel r2r 3.6.6 48c9326db0ff23c41affdb846df0c9014827b1316a14bcc87bb43c810b0410f9
mautrixtg pypi-wheel mautrix-telegram 0.15.3 6a5ac719efde99365f7fef37a7068cb764008a69d4d5de796ac22592981d1c77
maubot   pypi-wheel maubot 0.6.0 11516d53b7e799cc845d481e940507476d9b7734497d76d601714a61fa523a0f
langbot  pypi-wheel langbot 4.11.2 b9ed45b5fca7594431fcb5ef78bf5fccde3ef8570fb49d043b3744381fefe0a9
skypilot pypi-wheel skypilot 0.14.1 8201f566a051677713e288231c7a994e9ebb5ea79bea9bc36eeeffb654543d02
redbot   pypi-wheel red-discordbot 3.5.24 3cbdbdd8bb0b6dbab1f5f909151f12dcd40798b06df8beb791fd22b9e1b2c8bd
moonraker pypi-wheel moonraker 0.11.0 889034880a0891c7ee7916925d56e0280eb83095e70c3ee19a24de2a40b502db
astrbot  pypi-wheel-py312 astrbot 4.29.3 b78d8ab2d6f153c18be7162799b8589c9f5284233d557c93364c22193fe6be8e
autogen  pypi-wheel autogenstudio 0.4.2.2 2d8393a2afac5a54107160a6186447f68ff0a2b9af26b94ed7efe18940574cdf
ralph    pypi-wheel ralph-malph 5.1.0 8ee17bb3fabb507b22557d2ba15b85e90202fb1985f2edd16eefa870c35384f0
mautinsta pypi-wheel mautrix-instagram 0.3.1 dfa33863d8d8a0cec62d0425e7abea926a4b9fc3f5737055611ad1d6c284a1c8
tribler  pypi-wheel tribler 7.13.1 43c69912532607193a40a1eeea2625675698a1a4e0273929a73c3570638993f9
jesse    pypi-wheel jesse 3.5.3 ad4eee6b01d334d28a52c70f5061f7bc5ea3df593b5021d31f6d0df7620d060b
opsdroid pypi  opsdroid 0.31.0 3c293103e272e5bc12d5a563dac7e0c366c283e2258e471213224eae8ab9fa04
strapidt npm   @strapi/data-transfer 5.54.0 95332be67c89e409ae23ce13518d9057fb0eb1ee6fb104e3bba91a89c67cc3a0
cognee   pypi-wheel cognee 1.6.5 aaef9fdc02f542b1d125cde21759dde2fac56355d8928e39c734e7b5c6705eca
graphiti pypi-wheel graphiti-core 0.31.2 b26e1f350482266aec24beb1cd4c58d5e32ede1a897af8fa25b10800a16bbb8d
marimo   pypi-wheel marimo 0.25.2 7acb7a433755c6d965c03e07725477ab63804f6667ba9e37e4da582f358018c7
archivebox pypi-wheel archivebox 0.7.1 72470d58ea4fa1bed01c3b57af016a8f19af264bf8e2b95b058e36f577aa15db
freqtrade pypi-wheel freqtrade 2026.9 3cc4432381b83ec35000bff6b76f494fa3ec7d1681c7a45c04667dc063789fac
flexget  pypi-wheel flexget 3.22.8 5be40186da89805b828abf84ad9c30b93d2d44cbe447b79b535604efa224d753
openrem  pypi-wheel openrem 1.0.0b3 0e788172f6882dff0b914ce2390c91e7615bdaa632abae1667c7c15b14d99fee
nocofm   npm   @nocobase/plugin-file-manager 2.2.15 bd1b04fc7ed1acc601f3a455b8aa6c05c48d49572dd704bda269d0a43e743b94
fab      pypi-wheel flask-appbuilder 5.3.0 85d7c9520402848d864ac91672e19c921ca518ddc9b840d631ed6c04306b89ed
pulpmaven pypi-wheel pulp-maven 0.36.0 0e8713faa0873ba983a72574878c69a7bba775fbb533577a21a53b94ddc11535
harvest  pypi-wheel ckanext-harvest 1.6.3 8b0846bacc39f8543a2a0d565784f0a10eb0f7f92101616114ca6ff85033527a
mem0     pypi-wheel mem0ai 2.2.1 fe91bb91ac8926231993a4aa58df00a60c6c74c709e6a338fe399500776eef4d
nocoauth npm   @nocobase/plugin-auth 2.2.15 a05450c13a16b3fc377fa4bf1d5ba437743ea20c51a457a9c7f769317eeaa9d1
ephios   pypi-wheel ephios 0.27.1 5d58e3d0bff7f4fbd47b8f2672560c473e5c9ca1d3f7eced524ff194f3d38304
tacker   pypi-wheel tacker 16.0.0 6550cd094e9b8e0a722e9c88c1ba6c6160c2bd09b2b76ce8acfaaa5d942f89dd
flowfuse npm   @flowfuse/flowfuse 2.4.0 6478892b71dedfb1febd626e534d28cad7618be67d1f24b4b8ffac2826165268
wildduck npm   @zone-eu/wildduck 1.51.1 0abc846bdd9787fc9cf491454e64c46a3ab4449ebecb7de7e7b3eeff36f727cd
mistral  pypi-wheel mistral 23.0.0 6cd92af6e0b5850a794db65784fa340ce174fdba9227f67707fa8b8c36c35f1c
galaxyweb pypi-wheel galaxy-web-apps 26.1.2 72d8390e1fec21ce2b25badc30b93bc3983538d8fb5b506a7e25352e8ada66eb
slauth   npm   @sourceloop/authentication-service 19.2.2 53dbd3eec8881d63eab5abbae8a08d0ca6c1c37b9fff03d048ecc58e889ca448
sltenant npm   @sourceloop/user-tenant-service 8.1.1 4bd2f98ace1cace9b01b265022b3418c6c2da98697dcc5810ccc5cbee8b64bdb
faraday  pypi-wheel faradaysec 5.25.2 e1ea7da64a03ddef3f8ce7774a0e825948d44055ac9b04269c8529856eae098a
inginious pypi-wheel INGInious 0.9.1 5d8c76df22936e52918ce1f6b0cedd9a48d3bc7ab4af80e92c6dbdf09fa76e07
owox     npm   @owox/backend 0.35.0 65cc525a3b5c7bf3dc70b9675bf206200fc385b8470275d810041b98309aff17
atprotopds npm @atproto/pds 0.5.35 4e4003d347733fd8fe982de698d2dba761a020951e602b58090d60470a82b169
bugsink  pypi-wheel bugsink 2.6.2 752ce5712f8f8be98d5c33bce9a79cb8b9998361ef90077ed7a926cf59092e7c
kallithea pypi  kallithea 0.7.0 3df498f25aee9c66ded7fca949a4a118a6ba28b7cbd1edd6034f2871d1c576c7
tiledesk npm   @tiledesk/tiledesk-server 2.19.16 2606d6b7f2b8fe7f6c2ea4cbd219c24c69a0068635106ba6740e276645a1b4f8
fdmmonster npm @fdm-monster/server 2.1.1 27982f19c8979311074ead0b09fc3495195b9d26bc8899a91497a0f8b5c0e97e
spirit   pypi  django-spirit 0.14.3 2792f92583f8f4d77c77dc656da8893ef90c03b425418fbbe0e9c98311dd6d19
byro     pypi-wheel-py312 byro 2026.4.0 cf1e132e72a69167e869dcf114dbe30e093569257d88f2b13e3297c628b69f7b
intlayer npm   @intlayer/backend 9.5.6 4f4307e371291570965091a0cc0a909c8b217f9802432d6b43eeda2eab354ccd
automatisch npm @automatisch/backend 0.10.0 cd343417d9aa65c02b799926b02bc5b02bc8e2fe10a934577f004d70c87cfbc2
rucio    pypi-wheel rucio 41.5.1 7699144ab19f65602a02a8b2adb87fccd2bb19ba235950d211dd59319f81e9e7
nemoce   pypi-wheel nemo-ce 8.1.5 301576a0456033e1524e1b9d9a784a6ebaac6c3c3e8e304759a1eea16f0e16fe
tfsales  npm   @things-factory/sales-base 2.7.37 355261e47bc912a15a25eebf6a076cf52732525ce9ddf0992360f8dd5ddd4ce6
nodeeweb npm   @nodeeweb/server 0.0.9882 f78bc429a5c2ab4134c1eedd1370e61cf90711a9ff8f989430ac385112505dc3
bottlecrm pypi-wheel-py312 django-crm 1.35.0 953a29af830c34b25accd4d05ae532be01531178b97bab3b470439c85ba9a678
djangocrm pypi-wheel django-crm-admin 3.1.0 fcd2d82d6a2d86af3cd4e2927e0ea481132675715baf43a66f1b01819172846f
allianceauth pypi-wheel allianceauth 5.5.0 f53aba8e0708de13d37f160be796f9acf28d50160c6491212449daeb47bc00fa
lennenest npm   @lenne.tech/nest-server 11.24.1 2d383a3ff12640bc6d87617ec86196bf9965df6f97b9967ff140f70255b2f98c
devilry  pypi  devilry 6.7.1 54131d75ec67e430c6af42df989d71621776a5ed5adfb26adba397d88a42cddc
skyvern  pypi-wheel skyvern 1.0.56 821e7bee0dc642a0a609eac45b656a0a96690592a240058bd3153177c1c77d40
blockletsvc npm @abtnode/blocklet-services 1.17.12 add91755d0f1b7b0ddcf890aedb0625bd9b47329841b2180502172e6f053a7ba
stamhoofd npm  @stamhoofd/backend 2.152.0 ec5cf78447e2d44fb543fd9f10b735c9469c0eb816b878bf0d9222a9a1e62ea8
gpustack pypi-wheel gpustack 2.3.0 9d23fc07129dd318fdaea9128bc19ecd2bf8919f4cc930d131dbd8e1e23855ac
openslides pypi openslides 3.3 49ab9b6be65551a879271a1125fa8e6e5b8de19cb4d77cac8526abd5ea175f2d
mage     npm   @ngageoint/mage.service 6.5.8 32cb2c69fa9b48a879b638e1a72bc74d243fcc9aa1d72409bc0af5475eeb9e6d
learncard npm  @learncard/network-brain-service 3.16.14 861c38967c59713590fd26f4b343790a1d2511efe058f9ea55217fbadf3348c0
haupt    pypi-wheel haupt 2.18.0 fff4ba324fc43489e2b14b1a68fb5c71fc39fc9ec3325c5680a614f88c0a477a
sickchill pypi-wheel sickchill 2024.3.1 219509d90ee6a2791b988a3ebef9295869f21d639a0a35d615197dce3598fc56
ewbackend npm  @energyweb/origin-backend 11.2.3 1963c7d8596187255c740aebf569878c27da3c73ff1ecd2037929889d55c7f45
openiot  npm   @internetderdinge/api 1.229.25 b3568a887541964b76741300a9cb23e00b57520482baf11e557c13aac5419d53
evap     pypi-wheel-py313 evap 2026.10.0 8652d4277bcaf585a9cfe2940c24cd5322289667badf1f3f78bd1060227d1c1e
squad    pypi-wheel squad 1.98 9fa2a92ca54964251e1fab48f979734c7ccd4413ee13f96019fceb108ca9f9a9
cnpm     npm   cnpmjs.org 2.1.0 e536d4bfa1d34e085e558079db2c850f927c625a09e2006c6bf38925b5023f49
meshcentral npm meshcentral 1.1.55 cb84c8e5b6108ae8798d39f68785b6ea7ee3a39be80f9a9130a8e9875159a89d
creme    pypi-wheel creme-crm 2.8.6 d93172edce5565b3907d83687350f1ee3f7aad4b6acb0bd02f3605b3027171d3
udata    pypi-wheel udata 17.18.0 dc359b6d1ee4ad5849ba731ffe3fa3703cc39c59368d91adffafdedb4136302f
contember npm  @contember/engine-tenant-api 2.0.8 723543f51d92ee9e730992c6420ec7f7009aa01c454c71381b84f7fca5cc2dac
hydro    npm   hydrooj 4.19.1 7e3e00e9bf4417b5080f5dd88539662c047260847141fd5a535aa12786b74e38
mindsdb  pypi-wheel mindsdb 26.1.0 f770ac7933b3dac0291b077ce16eee807c56079868a385a022154050a3b4509f
dirac    pypi-wheel dirac 9.1.22 436e054bab6f896d9bb94556db56e9fe434636506e7bbcca0f3ff2a3603f3c1f
botpress npm   botpress 10.51.10 411bc10ed2090cb16f4206ab61faa3af0bfeef416c90019eb0c531402eb12703
dadi     npm   @dadi/api 6.1.0 f20517aceb40386cf7ae106b030cfb620f255b30d2d479c6b656153fdf25b3d3
waldur   pypi-wheel waldur-mastermind 4.5.1 39422b511ebd04edcfe43afcc305914c994a7d7b7f93a0dfc6d8502c5ad72abc
resolwe  pypi-wheel-py312 resolwe 45.2.0 24e2d32b402b8e76d92762893cd4d70ede07c3aefb72d43d667c66209be2f6e7
gladys   npm   gladys 3.6.0 a82a33953377c0b8b1c1f7b13f7443bff6016951992d6840dbce0af8b08e06af
coko     npm   @coko/server 4.22.0 f50b07a8a3253b082e19bead9c118be31efdbb495baa770d34916367d008024a
allegroralph pypi ralph 2.3.1 b7b99b6edfe2dd676854f7b8745f16c60b479221c78556178f024a16160aacad
djangolfs pypi django-lfs 0.11 d2cb0e24a8397b560f111369443231de36a6d8bda571cddee3a9dc16ba80846c
azurite  npm   azurite 3.37.0 991f93cbfd9006d61f8708a7ff78f4f76ce90ff8ee1dfb76ba47de2323170065
kresus   npm   kresus 0.26.0 156d6925c215e1cc7b9ffadba0d747dcbaa34fdd468bf22f9aae0eb937ce3849
sentry   pypi-wheel sentry 23.7.1 fc3c91702b7c203d06a36f8506f85f4ff67685115fe050e4baf000d785ac0a00
linoxl   pypi-wheel lino-xl 26.10.5 570d4785d37ec8641e94697cdf3ede5341add8d225761807d8b77b7d4c9f4376
screwdriver npm screwdriver-api 8.0.143 835215eb012f812d5adf033d4189c07eac96a0419bd0200ffbb7306e927ad337
cumulus  npm   @cumulus/api 21.0.0 75afbf62d2cfa3291e0c7844c9d8c2a85658a9bb9f465fe4e5f06cd0e6b0efce
tom      pypi-wheel tomtoolkit 3.1.0 4d6deac3d7e3aa2a50a99cb0154e19c72cb3f682c29e8ec6ed2b0aca617acf42
watcher  pypi-wheel python-watcher 17.0.0 60c5e9ec218687f8642690f189b0abc65ca9604e22b0555ce651331f7a93686b
openhim  npm   openhim-core 4.0.5 e941bd2ff0dfa7fc89e86abe2e327a8d1f8816130e8db6e5cb75b06d3a9835bf
comet    npm   @comet/cms-api 7.25.14 4cec39f8b77baac2f15468fabdede6955e00574048b3171a351b7f3b4d3b4dde
fiduswriter pypi-wheel-py313 fiduswriter 4.1.23 c25be9698535ec47f8a5859ac929eff6a1042bf7ae645fd6888a45d5f40f371c
wafer    pypi-wheel wafer 0.17.0 895406d4c17d6f2b6da8a0124446ba8027bd10aaa34a13b464a51ee0fa2d2495
lhci     npm   @lhci/server 0.15.1 20049b919a1bd8a25a2d1cc69e73a5cea2f2d0fe8014206d3c51de47f8f62e76
kottster npm   @kottster/server 3.5.1 336f43b18040e936c5069e4273495c8adbeddf46299b3d57bf6f2724385ad4bb
"

want=" $* "
while read -r name reg pkg ver sha; do
  [ -n "$name" ] || continue
  if [ $# -gt 0 ] && [[ "$want" != *" $name "* ]]; then continue; fi
  if [ -f "$dest/$name/.complete" ]; then
    echo "corpus $name $ver: present"
    continue
  fi
  tmp="$(mktemp -d)"
  case "$reg" in
    pypi) python3 -m pip download -q --no-deps --no-binary :all: \
            -d "$tmp" "$pkg==$ver" </dev/null >/dev/null ;;
    pypi-wheel) python3 -m pip download -q --no-deps --only-binary :all: \
            -d "$tmp" "$pkg==$ver" </dev/null >/dev/null ;;
    # a wheel that declares Python >= 3.12 (the source is read, never run)
    pypi-wheel-py312) python3 -m pip download -q --no-deps --only-binary :all: --python-version 3.12 \
            -d "$tmp" "$pkg==$ver" </dev/null >/dev/null ;;
    pypi-wheel-py313) python3 -m pip download -q --no-deps --only-binary :all: --python-version 3.13 \
            -d "$tmp" "$pkg==$ver" </dev/null >/dev/null ;;
    npm)  (cd "$tmp" && npm pack -q "$pkg@$ver" </dev/null >/dev/null 2>&1) ;;
    *) echo "unknown registry $reg" >&2; exit 2 ;;
  esac
  archive="$(ls "$tmp"/*)"
  got="$(sha256sum "$archive" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then
    echo "corpus $name: sha256 mismatch for $(basename "$archive"): got $got, want $sha" >&2
    exit 1
  fi
  mv "$archive" "$dest/dl/"
  rm -rf "$tmp" "$dest/$name"
  mkdir -p "$dest/$name"
  case "$archive" in
    *.whl) python3 -m zipfile -e "$dest/dl/$(basename "$archive")" "$dest/$name" ;;
    *) tar xzf "$dest/dl/$(basename "$archive")" -C "$dest/$name" --strip-components=1 ;;
  esac
  echo "$pkg $ver $sha" > "$dest/$name/.complete"
  echo "corpus $name $ver: downloaded ($(find "$dest/$name" -type f | wc -l) files)"
done <<< "$CORPORA"
