import Glibc

/// Files and mappings: the system calls of the shared-memory extension.
extension Syscall {
    /// What `fstat` says of a descriptor, the parts the service uses.
    package struct FileStatus {
        package var isRegularFile: Bool
        package var size: Int
        package var device: UInt64
        package var inode: UInt64
    }

    /// Opens `path` read-write, refusing a symbolic link (`O_NOFOLLOW`) and never blocking in `open` (a FIFO).
    package static func openReadWriteNoFollow(_ path: String) throws(SystemError) -> Int32 {
        let fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SystemError(code: errno, call: "open") }
        return fd
    }

    package static func fileStatus(_ fd: Int32) throws(SystemError) -> FileStatus {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SystemError(code: errno, call: "fstat") }
        return FileStatus(
            isRegularFile: (status.st_mode & S_IFMT) == S_IFREG, size: Int(status.st_size), device: UInt64(status.st_dev),
            inode: UInt64(status.st_ino))
    }

    package static var pageSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// Maps `length` bytes of `fd` from the page-aligned `offset`, shared and read-write.
    package static func mapShared(_ fd: Int32, length: Int, offset: Int) throws(SystemError) -> UnsafeMutableRawPointer {
        guard let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset)),
            mapping != UnsafeMutableRawPointer(bitPattern: -1)
        else { throw SystemError(code: errno, call: "mmap") }
        return mapping
    }

    package static func unmap(_ mapping: UnsafeMutableRawPointer, length: Int) { _ = munmap(mapping, length) }
}
