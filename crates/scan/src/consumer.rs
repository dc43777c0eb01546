//! Message consumers: a file that registers a handler with a message queue or stream (Kafka,
//! AMQP, SQS, BullMQ) and declares no HTTP route runs its functions per message, in background
//! work, whatever its path says (`src/handlers/transfers/handler.js` of a Kafka service).
//! Read from the file's text, as the path rules of [`crate::runs`] are.

use crate::lang::Language;
use crate::runs::re;
use regex::Regex;
use std::sync::OnceLock;

/// The registration that makes `text` a message consumer's file (`Consumer.createHandler(`,
/// `eachMessage:`, `channel.consume(`), when it has one and no HTTP route.
pub(crate) fn registration(lang: Language, text: &str) -> Option<String> {
    static JS: OnceLock<Regex> = OnceLock::new();
    static JS_HTTP: OnceLock<Regex> = OnceLock::new();
    static PY: OnceLock<Regex> = OnceLock::new();
    static PY_HTTP: OnceLock<Regex> = OnceLock::new();
    let (reg, http) = match lang {
        Language::JavaScript | Language::TypeScript | Language::Tsx => (
            re(
                &JS,
                // kafkajs (`consumer.run({ eachMessage })`), a consumer wrapper's
                // `Consumer.createHandler(topic, config, handler)`, amqplib, sqs-consumer, BullMQ
                r"\b(?:[\w$]*[Cc]onsumer\s*\.\s*(?:createHandler|run)|[\w$]*[Cc]hannel\s*\.\s*consume|Consumer\s*\.\s*create|new\s+Worker)\s*\(|\b(?:eachMessage|eachBatch|handleMessage|handleMessageBatch)\s*:",
            ),
            re(
                &JS_HTTP,
                r"\b(?:app|router|server|fastify)\s*\.\s*(?:get|post|put|patch|delete|use|route)\s*\(|\(\s*req\s*,\s*res\b|\bmethod\s*:\s*['\x22](?:GET|POST|PUT|PATCH|DELETE)['\x22]",
            ),
        ),
        Language::Python => (
            re(
                &PY,
                // pika, kafka-python / aiokafka, FastStream and Faust subscribers
                r"\.basic_consume\s*\(|\b(?:AIO)?KafkaConsumer\s*\(|(?m)^[ \t]*@[\w.]*\.(?:subscriber|agent)\s*\(",
            ),
            re(
                &PY_HTTP,
                r"def[ \t]+\w+\((?:self,\s*)?request\b|@[\w.]*\b(?:route|api_view|get|post|put|patch|delete)\s*\(",
            ),
        ),
        _ => return None,
    };
    // the words every registration holds, before any regex runs over the file
    let words: &[&str] = match lang {
        Language::Python => &["onsume", ".subscriber", ".agent"],
        _ => &[
            "onsume",
            "Worker",
            "eachMessage",
            "eachBatch",
            "handleMessage",
        ],
    };
    if !words
        .iter()
        .any(|w| memchr::memmem::find(text.as_bytes(), w.as_bytes()).is_some())
    {
        return None;
    }
    let m = reg.find(text)?;
    if http.is_match(text) {
        return None;
    }
    let what: String = m
        .as_str()
        .trim_start_matches(['.', '@', ' ', '\t', '\n'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(format!("registers a message consumer (`{what}`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_registrations_are_told_from_http_handlers() {
        let js = Language::JavaScript;
        let c = |t: &str| registration(js, t);
        assert!(
            c("await Consumer.createHandler(h.topicName, h.config, h.command)\n")
                .unwrap()
                .contains("Consumer.createHandler(")
        );
        assert!(c("await consumer.run({ eachMessage: async ({ message }) => {} })").is_some());
        assert!(c("channel.consume(queue, onMessage, { noAck: false })").is_some());
        assert!(c("const w = new Worker('emails', async (job) => send(job.data))").is_some());
        assert!(c("Consumer.create({ queueUrl, handleMessage: async (m) => {} })").is_some());
        // a file that also serves HTTP is a request handler's
        assert!(c("router.post('/x', h)\nconsumer.run({ eachMessage })").is_none());
        assert!(
            c("server.route({ method: 'POST', path: '/t', handler })\nconsumer.run({})").is_none()
        );
        // a consumer named in passing is not one registered
        assert!(c("const consumers = await listConsumers()\nconsumer.close()").is_none());
        let py = Language::Python;
        assert!(
            registration(py, "ch.basic_consume(queue='q', on_message_callback=cb)\n").is_some()
        );
        assert!(registration(py, "consumer = KafkaConsumer('t', group_id='g')\n").is_some());
        assert!(registration(py, "@broker.subscriber('orders')\nasync def f(m): ...\n").is_some());
        assert!(registration(
            py,
            "consumer = KafkaConsumer('t')\n\ndef view(request):\n    return ok()\n"
        )
        .is_none());
        assert!(registration(Language::Go, "consumer.run(").is_none());
    }
}
