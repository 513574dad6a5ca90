/**
 * The load generator ({@code java -jar chorus.jar bench}): Netty clients that connect, join
 * and publish at a set rate, measure delivery latency with HdrHistogram, and print figures
 * comparable across servers. It shares no code with the server it measures.
 */
package dev.chorus.bench;
