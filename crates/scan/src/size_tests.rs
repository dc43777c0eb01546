//! Tests of the loop-size reading: names, collections, slices and chained loops.
use super::expr::keyed_as_attribute;
use super::*;
use crate::lang::Language;

fn size(element: Option<&str>, collection: Option<&str>) -> LoopSize {
    classify(element, collection).0
}

#[test]
fn the_element_names_the_items() {
    assert_eq!(size(Some("order"), Some("qs")), LoopSize::Data);
    assert_eq!(size(Some("env"), Some("project.children")), LoopSize::Small);
    assert_eq!(
        size(Some("{ workflowId, versionId }"), Some("x")),
        LoopSize::Data
    );
    assert_eq!(
        size(Some("[index, workflowId]"), Some("x.entries()")),
        LoopSize::Data
    );
    assert_eq!(
        size(Some("i, p"), Some("enumerate(o.positions.all())")),
        LoopSize::Unknown
    );
}

#[test]
fn tags_and_subscriptions_are_attached_to_one_owner() {
    // labels a user picks and the subscriptions of one member: a handful per owner as a
    // rule, so the names do not say the loop grows with the data
    assert_eq!(size(Some("tag"), Some("tags")), LoopSize::Unknown);
    assert_eq!(size(Some("tagId"), Some("data.tags")), LoopSize::Unknown);
    assert_eq!(size(Some("tag_name"), Some("tag_names")), LoopSize::Unknown);
    assert_eq!(
        size(Some("subscription"), Some("subscriptions.models")),
        LoopSize::Unknown
    );
    // a data noun beside them still names the items
    assert_eq!(size(Some("tagged_item"), Some("items")), LoopSize::Data);
    assert_eq!(
        size(Some("subscriber"), Some("subscribers")),
        LoopSize::Data
    );
}

#[test]
fn a_collection_named_for_one_thing_walks_its_parts() {
    // the parts of one message, not the application's messages
    for (element, collection) in [
        ("part", "message"),
        ("component", "message"),
        ("c", "event.reply_message"),
    ] {
        assert_eq!(
            size(Some(element), Some(collection)),
            LoopSize::Unknown,
            "{collection}"
        );
    }
    for collection in [
        "messages",
        "message_ids",
        "message_list",
        "Message.objects.all()",
    ] {
        assert_eq!(
            size(Some("m"), Some(collection)),
            LoopSize::Data,
            "{collection}"
        );
    }
    // the element still names the data
    assert_eq!(size(Some("user"), Some("team")), LoopSize::Data);
}

#[test]
fn the_collection_names_them_when_the_element_does_not() {
    assert_eq!(
        size(
            Some("o"),
            Some("Order.objects.select_related('event').exclude(fee=0)")
        ),
        LoopSize::Data
    );
    assert_eq!(
        size(Some("d"), Some("Object.values(this.destinations)")),
        LoopSize::Small
    );
    assert_eq!(size(Some("x"), Some("ownedCredentials")), LoopSize::Data);
    assert_eq!(size(Some("t"), Some("tablesToRemove")), LoopSize::Small);
    assert_eq!(size(Some("r"), Some("workflowLevelRules")), LoopSize::Small);
    assert_eq!(
        size(Some("k, v"), Some("self.attributes.items()")),
        LoopSize::Small
    );
    assert_eq!(size(None, Some("appScreens")), LoopSize::Data);
    assert_eq!(size(Some("c"), Some("candidates")), LoopSize::Unknown);
    assert_eq!(size(Some("i"), Some("range(len(rows))")), LoopSize::Data);
    assert_eq!(size(Some("s"), Some("segments ?? []")), LoopSize::Data);
    assert_eq!(
        size(Some("id"), Some("await repo.find({ where })")),
        LoopSize::Unknown
    );
}

#[test]
fn the_parts_of_one_message_are_not_sized_by_their_names() {
    for parts in [
        "msg.item_list",
        "event.get_messages()",
        "enumerate(component.chain)",
        "event.get('event', {}).get('files', [])",
        "update.messages",
        "event_message.data.items",
        "incoming_message.attachments",
        // a generic word after the message's name
        "messageData.meta.files",
        "msg_info.attachments",
    ] {
        assert_eq!(
            size(Some("item"), Some(parts)),
            LoopSize::Unknown,
            "{parts}"
        );
    }
    // many messages or events, or a message's name alone, are not one message's parts; nor
    // the records of a batch an event delivers, the rows a model named so relates, a
    // response named `reply`, or what is `to_update`
    for many in [
        "messages",
        "events.items()",
        "message_rows",
        "get_messages(user)",
        "event[\"Records\"]",
        "event.get(\"Records\", [])",
        "message.records",
        "event.attendees.all()",
        "message.recipients.all()",
        "reply.json()[\"users\"]",
        "to_update.values()",
        // a collection of messages named after them
        "message_map.items()",
        "message_list",
    ] {
        assert_eq!(size(Some("item"), Some(many)), LoopSize::Data, "{many}");
    }
    // a handful by name stays a handful
    assert_eq!(size(Some("field"), Some("event.fields")), LoopSize::Small);
}

#[test]
fn a_knowledge_graphs_contents_are_data() {
    assert_eq!(size(Some("node"), Some("nodes")), LoopSize::Data);
    assert_eq!(size(Some("edge"), Some("edges_to_update")), LoopSize::Data);
    assert_eq!(
        size(Some("episode"), Some("sorted_episodes")),
        LoopSize::Data
    );
    assert_eq!(size(Some("t"), Some("triplets")), LoopSize::Data);
    assert_eq!(size(Some("v"), Some("vertices")), LoopSize::Data);
    // the nodes of one message stay its parts
    assert_eq!(
        size(Some("node"), Some("component.node_list")),
        LoopSize::Unknown
    );
}

#[test]
fn a_loop_over_slices_is_the_batched_form() {
    for c in [
        "lodash__default.default.chunk(entityRefs, 1e3)",
        "_.chunk(ids, 500)",
        "chunked(rows, 500)",
        "more_itertools.chunked(users, 100)",
        "itertools.batched(users, 100)",
        "splitIntoChunks(userIds, 50)",
        "chunkArray(orders, 10)",
        "enumerate(chunked(rows, 100))",
        "grouped_slice(records)",
        "grouped_slice(ids, in_max)",
        "more_itertools.sliced(users, 100)",
        "sliced(users, 100)",
    ] {
        assert_eq!(size(Some("refs"), Some(c)), LoopSize::Small, "{c}");
        assert_eq!(size(Some("users"), Some(c)), LoopSize::Small, "{c}");
    }
    // one slice, or what a getter of one returns, is its items
    assert_eq!(size(Some("u"), Some("batch")), LoopSize::Data);
    assert_eq!(size(Some("user"), Some("getChunk(id)")), LoopSize::Data);
    assert_eq!(
        size(Some("user"), Some("users.slice(0, 10)")),
        LoopSize::Data
    );
    assert_eq!(
        size(Some("user"), Some("page.sliced(users)")),
        LoopSize::Data
    );
    assert_eq!(size(Some("user"), Some("load_batch(job)")), LoopSize::Data);
    // a text splitter's chunks of documents are data
    assert_eq!(size(Some("doc"), Some("chunks")), LoopSize::Data);
}

#[test]
fn a_part_of_one_object_is_not_sized_by_its_items_names() {
    assert_eq!(size(Some("form"), Some("self.forms")), LoopSize::Unknown);
    assert_eq!(size(Some("user"), Some("this.users")), LoopSize::Unknown);
    // the object's own state, however deep and however walked
    for held in [
        "self.peers.items()",
        "list(self.peers.items())",
        "self.git_options.credentials",
        "self._features[KEY_VOLUME]",
        "this.options.bundles",
    ] {
        assert_eq!(
            size(Some("app_id, peer"), Some(held)),
            LoopSize::Unknown,
            "{held}"
        );
    }
    // a single attribute stays the object's, whatever it is called (as before)
    assert_eq!(size(Some("user"), Some("self._rows")), LoopSize::Unknown);
    // but what a request or a response carries, what a client submitted and a table reached
    // through an ORM are not the object's
    for carried in [
        "self.request.data",
        "self.response.json.items()",
        "self.cleaned_data[\"users\"]",
        "self.validated_data.users",
        "self.kwargs.user_ids",
        "this.props.users",
        "self.model.objects.all()",
        "self.queryset.all()",
    ] {
        assert_eq!(
            size(Some("user"), Some(carried)),
            LoopSize::Data,
            "{carried}"
        );
    }
    // nor what a call returns, nor a part under a computed key
    assert_eq!(
        size(Some("user"), Some("self.members_of(team)")),
        LoopSize::Data
    );
    assert_eq!(
        size(Some("user"), Some("self.by_team[team_id]")),
        LoopSize::Data
    );
    assert_eq!(
        size(Some("row"), Some("self.rows_for(user)")),
        LoopSize::Data
    );
    assert_eq!(
        size(
            Some("ticket"),
            Some("Ticket.objects.filter(order=order, provider=self.provider)")
        ),
        LoopSize::Unknown
    );
    assert_eq!(
        size(
            Some("ticket"),
            Some("Ticket.objects.filter(created__lte=cutoff)")
        ),
        LoopSize::Data
    );
    assert_eq!(
        size(Some("o"), Some("Order.objects.filter(paid=True)")),
        LoopSize::Data
    );
    assert_eq!(
        size(
            Some("item_id"),
            Some("[x for x in self.personal_items if x in wanted]")
        ),
        LoopSize::Unknown
    );
    assert_eq!(
        size(Some("u"), Some("[u for u in users if u.active]")),
        LoopSize::Data
    );
    // the children of one thing named for what it is
    assert_eq!(
        size(Some("shipment"), Some("order.shipments")),
        LoopSize::Unknown
    );
    assert_eq!(
        size(Some("tag"), Some("post.tags.all()")),
        LoopSize::Unknown
    );
    // what a response or a result carries, a plural owner: data
    assert_eq!(size(Some("thread"), Some("res.threads")), LoopSize::Data);
    assert_eq!(size(Some("row"), Some("result.rows")), LoopSize::Data);
    assert_eq!(size(Some("user"), Some("teams.users")), LoopSize::Data);
    // a keyed part of one thing, read as its attribute
    assert_eq!(
        size(Some("user, perms"), Some("perm_spec[\"users\"].items()")),
        LoopSize::Unknown
    );
    assert_eq!(size(Some("user"), Some("data['users']")), LoopSize::Data);
    assert_eq!(
        size(Some("user, perms"), Some("_perm_spec[\"users\"].items()")),
        LoopSize::Unknown
    );
    assert_eq!(size(Some("user"), Some("users[i]")), LoopSize::Data);
    // the attributes of one object (DiffSync's `create(cls, adapter, ids, attrs)`)
    assert_eq!(
        size(Some("_inv_item"), Some("attrs[\"inventory_items\"]")),
        LoopSize::Unknown
    );
    assert_eq!(
        size(Some("_, item"), Some("attrs[\"vlans\"].items()")),
        LoopSize::Unknown
    );
    assert_eq!(size(Some("item"), Some("items_attrs")), LoopSize::Data);
    assert_eq!(keyed_as_attribute("a[\"b\"]['c'][k].d"), "a.b.c[k].d");
}

#[test]
fn hooks_of_one_write_are_named() {
    for hook in [
        "onBeforeDelete",
        "onUpdateSuccess",
        "afterInsert",
        "before_save",
        "onDelete",
    ] {
        assert!(is_write_hook(hook), "{hook}");
    }
    for not in [
        "delete",
        "save",
        "onBeforeBulkDestroy",
        "afterAll",
        "onMessage",
        "updateAll",
    ] {
        assert!(!is_write_hook(not), "{not}");
    }
}

#[test]
fn the_members_of_an_enum_are_a_handful() {
    assert_eq!(
        size(Some("_, key"), Some("StreamKeyType.__members__.items()")),
        LoopSize::Small
    );
    assert_eq!(size(Some("user"), Some("UserRole")), LoopSize::Small);
    // a method of a class, called: its rows
    assert_eq!(
        size(Some("user"), Some("User.objects.all()")),
        LoopSize::Data
    );
}

#[test]
fn review_cases() {
    // a database handle is not the collection
    assert_ne!(
        size(Some("u"), Some("db.query(User).all()")),
        LoopSize::Small
    );
    // every argument of a parent filter counts
    assert_eq!(
        size(
            Some("o"),
            Some("Order.objects.filter(event=event, paid=True)")
        ),
        LoopSize::Data
    );
    // a collection that names data outweighs a variable named for a part of each item
    assert_eq!(
        size(Some("file_path"), Some("uploaded_files")),
        LoopSize::Data
    );
    assert_eq!(size(Some("env"), Some("environments")), LoopSize::Small);
    // `range(0, len(users))`
    assert_eq!(
        size(Some("i"), Some("range(0, len(users))")),
        LoopSize::Data
    );
    assert_eq!(counted("i < len(users)"), Some("users"));
    assert_eq!(counted("i < users.size()"), Some("users"));
}

fn sized_in(lang: Language, src: &str) -> Vec<LoopSize> {
    let mut p = tree_sitter::Parser::new();
    p.set_language(&lang.grammar()).unwrap();
    let tree = p.parse(src, None).unwrap();
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        if matches!(
            n.kind(),
            "for_statement" | "enhanced_for_statement" | "for_expression"
        ) {
            out.push(of_loop(n, src.as_bytes()).0);
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    out
}

#[test]
fn go_java_and_rust_loops_are_sized() {
    assert_eq!(
        sized_in(
            Language::Go,
            "package m\nfunc f() { for _, u := range users { g(u) } }\n"
        ),
        [LoopSize::Data]
    );
    assert_eq!(
        sized_in(
            Language::Go,
            "package m\nfunc f() { for i := 0; i < len(orders); i++ { g(i) } }\n"
        ),
        [LoopSize::Data]
    );
    assert_eq!(
        sized_in(
            Language::Java,
            "class A { void f() { for (User u : users) { g(u); } } }"
        ),
        [LoopSize::Data]
    );
    assert_eq!(
        sized_in(
            Language::Rust,
            "fn f() { for env in environments.iter() { g(env); } }"
        ),
        [LoopSize::Small]
    );
}

#[test]
fn counting_loops_walk_the_array_of_their_bound() {
    assert_eq!(counted("i < appScreens.length"), Some("appScreens"));
    assert_eq!(counted("i <= rows.length - 1"), Some("rows"));
    assert_eq!(counted("i < n"), None);
}

#[test]
fn head_nouns_and_plurals() {
    assert_eq!(
        words("ownedSharedWorkflows"),
        ["owned", "shared", "workflows"]
    );
    assert_eq!(words("pk_set"), ["pk", "set"]);
    assert_eq!(singular("entries"), "entry");
    assert_eq!(singular("addresses"), "address");
    assert_eq!(singular("statuses"), "status");
    assert_eq!(singular("class"), "class");
    assert_eq!(size_of_name("knowledgeBaseIds", LoopSize::Data), None);
    assert_eq!(
        size_of_name("unfinishedExecutionIds", LoopSize::Data),
        Some(LoopSize::Data)
    );
    assert_eq!(
        size_of_name("usersWithRole", LoopSize::Data),
        Some(LoopSize::Data)
    );
    assert_eq!(size(Some("u"), Some("batch")), LoopSize::Data);
    assert_eq!(
        size(Some("chunk"), Some("chunks(rows, 500)")),
        LoopSize::Small
    );
}

#[test]
fn retries_are_a_handful() {
    assert_eq!(size(Some("i"), Some("range(tries)")), LoopSize::Small);
    assert_eq!(
        size(Some("_"), Some("range(self.max_retries)")),
        LoopSize::Small
    );
    assert_eq!(size(Some("attempt"), Some("range(5 * n)")), LoopSize::Small);
    assert_eq!(
        size(Some("n"), Some("range(1, max_attempts + 1)")),
        LoopSize::Small
    );
    assert_eq!(
        size(Some("entry"), Some("registry.entries")),
        LoopSize::Unknown
    );
    // rows of a table of retries are data, not repeats
    assert_eq!(
        size(
            Some("whcr"),
            Some("WebHookCallRetry.objects.filter(retry_not_before__lt=now())")
        ),
        LoopSize::Unknown
    );
}

#[test]
fn the_pages_of_a_paged_fetch_are_the_batched_form() {
    assert_eq!(
        size(Some("page"), Some("range(1, max_pages + 1)")),
        LoopSize::Small
    );
    assert_eq!(size(Some("page_num"), Some("range(n)")), LoopSize::Small);
    // pages of a site are its content; a range's items named otherwise say nothing
    assert_eq!(size(Some("page"), Some("site_pages")), LoopSize::Data);
    assert_eq!(size(Some("i"), Some("range(n)")), LoopSize::Unknown);
    // a range over a collection's length walks that collection
    assert_eq!(
        size(Some("page"), Some("range(len(pages))")),
        LoopSize::Data
    );
}

#[test]
fn a_request_s_fields_are_not_posts() {
    // `request.POST` holds the fields of one submitted form: its name is a method
    assert_eq!(
        size(Some("key, value"), Some("request.POST.items()")),
        LoopSize::Unknown
    );
    assert_eq!(size(Some("k"), Some("request.GET")), LoopSize::Unknown);
    // its other parts in capitals too: `FILES` is not the application's files
    assert_eq!(
        size(Some("f"), Some("request.FILES.values()")),
        LoopSize::Unknown
    );
    assert_eq!(size(Some("f"), Some("uploaded_files")), LoopSize::Data);
    // the items' own names still tell
    assert_eq!(
        size(Some("product_id"), Some("request.POST.keys()")),
        LoopSize::Data
    );
    assert_eq!(size(Some("p"), Some("posts")), LoopSize::Data);
}

#[test]
fn a_class_s_subclasses_are_code() {
    assert_eq!(
        size(Some("cls"), Some("ImageModel.__subclasses__()")),
        LoopSize::Small
    );
    assert_eq!(
        size(Some("subclass"), Some("get_all(Base)")),
        LoopSize::Small
    );
}
