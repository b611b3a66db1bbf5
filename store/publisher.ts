import mqtt, { type MqttClient } from 'mqtt';
import type { PublishedTopic, TopicPayload } from '../schemas/events.js';

export interface PublishOptions {
  qos: 0 | 1 | 2;
  retain?: boolean;
}

/**
 * Where MChat's own processes publish events: the embedded broker directly, or an MQTT connection.
 * What may be published follows from the topic (`TopicPayload`, schemas/events.ts): an event on
 * an inbox or group topic must be an `Event`, an answer a `ResponseEnvelope`, and so on.
 */
export interface Publisher {
  publish<T extends PublishedTopic>(topic: T, message: TopicPayload<T>, opts: PublishOptions): Promise<void>;
}

export interface ServiceConnectionOptions {
  url: string;
  username: string;
  password: string;
  clientId: string;
}

/** A privileged MQTT connection for a service (gateway on an external broker, or the worker). */
export async function connectService(opts: ServiceConnectionOptions): Promise<MqttClient> {
  return mqtt.connectAsync(opts.url, {
    username: opts.username,
    password: opts.password,
    clientId: opts.clientId,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 1_000,
    connectTimeout: 5_000,
  });
}

export function mqttPublisher(client: MqttClient): Publisher {
  return {
    async publish(topic, message, opts) {
      await client.publishAsync(topic, JSON.stringify(message), { qos: opts.qos, retain: opts.retain ?? false });
    },
  };
}
