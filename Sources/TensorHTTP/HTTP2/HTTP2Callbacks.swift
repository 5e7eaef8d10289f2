import CNghttp2

/// libnghttp2's callbacks, as C functions: each finds its connection from the session's user data (an unretained
/// pointer: the connection owns the session, so it outlives every call) and hands over to it.
///
/// They run on the connection's loop, from inside `nghttp2_session_mem_recv` or `mem_send`.
enum HTTP2Callbacks {
    static func install(in callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, beginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, header)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, frameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, dataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, streamClosed)
        nghttp2_session_callbacks_set_send_data_callback(callbacks, sendData)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, frameSent)
    }

    private static func connection(_ userData: UnsafeMutableRawPointer?) -> HTTP2Connection {
        Unmanaged<HTTP2Connection>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static let beginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
            frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
        else { return 0 }
        connection(userData).beginStream(frame.pointee.hd.stream_id)
        return 0
    }

    private static let header: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, let name, let value else { return 0 }
        return connection(userData).header(
            on: frame.pointee.hd.stream_id, name: UnsafeBufferPointer(start: name, count: nameLength),
            value: UnsafeBufferPointer(start: value, count: valueLength))
    }

    private static let frameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame else { return 0 }
        let type = frame.pointee.hd.type
        let endsStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        let id = frame.pointee.hd.stream_id
        let target = connection(userData)
        if type == UInt8(NGHTTP2_HEADERS.rawValue) && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
            target.headersComplete(on: id)
        }
        if endsStream && (type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue)) {
            target.inputEnded(on: id)
        }
        return 0
    }

    private static let frameSent: nghttp2_on_frame_send_callback = { _, frame, userData in
        guard let frame else { return 0 }
        let type = frame.pointee.hd.type
        if frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            && (type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_DATA.rawValue)) {
            connection(userData).answerEnded(on: frame.pointee.hd.stream_id)
        }
        return 0
    }

    private static let dataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, id, data, length, userData in
        guard let data else { return 0 }
        connection(userData).data(UnsafeRawBufferPointer(start: data, count: length), on: id)
        return 0
    }

    private static let streamClosed: nghttp2_on_stream_close_callback = { _, id, errorCode, userData in
        connection(userData).streamClosed(id, errorCode: errorCode)
        return 0
    }

    static let readBody: nghttp2_data_source_read_callback = { _, id, _, length, flags, _, userData in
        guard let flags else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        return connection(userData).readBody(id, capacity: length, flags: flags)
    }

    private static let sendData: nghttp2_send_data_callback = { _, frame, header, length, _, userData in
        guard let frame, let header else { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
        return connection(userData).sendData(on: frame.pointee.hd.stream_id, header: header, length: length)
    }
}

/// Header fields as libnghttp2's `nghttp2_nv` array, valid for the duration of one call (it copies them).
enum HTTP2HeaderList {
    static func with(_ fields: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>, Int) -> Int32) -> Int32 {
        var arena: [UInt8] = []
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in fields {
            let nameStart = arena.count
            arena.append(contentsOf: name.utf8)
            let valueStart = arena.count
            arena.append(contentsOf: value.utf8)
            spans.append((nameStart..<valueStart, valueStart..<arena.count))
        }
        arena.append(0)
        return arena.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            let list = spans.map { span in
                nghttp2_nv(
                    name: base + span.name.lowerBound, value: base + span.value.lowerBound, namelen: span.name.count,
                    valuelen: span.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return list.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}
