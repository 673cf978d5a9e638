"""Texts the bot itself writes to applicants (Indonesian); Rasa writes the knowledge answers."""

from __future__ import annotations

START = (
    "Halo{name}! 👋 Saya <b>Asisten Prakerja</b>, asisten virtual untuk pertanyaan seputar "
    "Kartu Prakerja.\n\n"
    "Saya bisa membantu:\n"
    "• jadwal gelombang yang sedang atau akan dibuka\n"
    "• syarat, cara daftar, dan tes kemampuan dasar\n"
    "• bedanya skema normal dengan skema semi-bansos\n"
    "• insentif, pembelian pelatihan, dan sertifikat\n"
    "• masalah akun: email, OTP, NIK/KK, verifikasi wajah\n"
    "• cek status kepesertaanmu (setelah verifikasi)\n"
    "• kabar gelombang baru lewat langganan\n\n"
    "Tulis saja pertanyaanmu dengan bahasa sehari-hari, misalnya: "
    '<i>"gelombang brp yg lg buka?"</i>\n\n'
    "Ingat: pendaftaran resmi hanya di www.prakerja.go.id. Jangan pernah memberikan kode OTP, "
    "kata sandi, atau nomor Kartu Prakerja kepada siapa pun."
)

HELP = (
    "<b>Yang bisa saya bantu</b>\n"
    "Tanyakan apa saja tentang Kartu Prakerja: syarat, cara daftar, jadwal gelombang, "
    "pengumuman, insentif, pelatihan, sertifikat, atau masalah akun.\n\n"
    "<b>Perintah</b>\n"
    "/start – mulai dan lihat topik populer\n"
    "/bantuan – daftar ini\n"
    "/status – cek status kepesertaanmu (perlu verifikasi)\n"
    "/langganan – dapat kabar saat gelombang baru dibuka\n"
    "/berhenti – berhenti langganan kabar\n"
    "/lupakan – hapus verifikasi status dari bot ini\n"
    "/privasi – cara bot ini menjaga datamu\n\n"
    "Saya asisten tidak resmi yang menjawab dari informasi publik. Untuk urusan akun yang tidak "
    "bisa saya bantu, gunakan Formulir Pengaduan di bantuan.prakerja.go.id."
)

PRIVACY = (
    "<b>Privasi</b>\n"
    "• Bot ini menyimpan ID Telegram-mu, waktu terakhir kamu menulis, bahasa, dan pilihan "
    "langgananmu.\n"
    "• NIK dan nomor HP hanya dipakai sekali untuk mencocokkan data saat cek status, lalu tidak "
    "disimpan. Yang disimpan hanya kode rujukan acak selama waktu singkat.\n"
    "• Status kepesertaan hanya ditampilkan di chat pribadi akun Telegram yang memverifikasinya.\n"
    "• Ketik /lupakan untuk menghapus verifikasi, /berhenti untuk berhenti langganan."
)

TOPIC_BUTTONS = (
    ("Syarat ikut Prakerja", "/ask_requirements"),
    ("Cara daftar", "/ask_registration"),
    ("Jadwal gelombang", "/ask_batch_schedule"),
    ("Cek status saya", "/check_status"),
)

RASA_DOWN = (
    "Maaf, asisten sedang mengalami gangguan sehingga belum bisa menjawab. 🙏\n"
    "Silakan coba lagi beberapa saat lagi. Informasi resmi tetap bisa dilihat di "
    "www.prakerja.go.id."
)

NO_ANSWER = (
    "Maaf, saya belum bisa menjawab itu sekarang. 🙏 Coba tanyakan dengan kalimat lain atau coba "
    "lagi sebentar lagi. Informasi resmi ada di www.prakerja.go.id."
)

UNEXPECTED_ERROR = (
    "Maaf, terjadi kesalahan saat memproses pesanmu. 🙏 Silakan coba lagi, atau ketik /bantuan."
)

UNKNOWN_COMMAND = (
    "Maaf, perintah itu tidak saya kenal. Ketik /bantuan untuk melihat daftar perintah."
)

EXPIRED_BUTTON = "Tombol ini sudah tidak berlaku. Silakan ketik pertanyaanmu."

EDITED_MESSAGE = (
    "Saya hanya membaca pesan baru, bukan pesan yang diedit. Kirim ulang pertanyaanmu sebagai "
    "pesan baru ya."
)

GROUP_CHAT = (
    "Halo! Saya melayani pertanyaan Kartu Prakerja lewat chat pribadi. "
    "Silakan buka chat langsung dengan saya."
)

ID_REDACTED = (
    "Demi keamanan, NIK, nomor HP, atau nomor panjang lain di pesanmu sudah saya sembunyikan "
    "dan tidak saya simpan. Jangan bagikan data pribadi di chat ya; untuk cek status, "
    "ketik /status."
)

UNSUPPORTED_KIND = {
    "sticker": "Stikernya lucu! 😄",
    "animation": "GIF-nya seru! 😄",
    "photo": "Terima kasih fotonya.",
    "video": "Terima kasih videonya.",
    "video_note": "Terima kasih pesan videonya.",
    "voice": "Terima kasih pesan suaranya.",
    "audio": "Terima kasih audionya.",
    "document": "Terima kasih dokumennya.",
    "location": "Terima kasih lokasinya.",
    "venue": "Terima kasih lokasinya.",
    "contact": "Terima kasih kontaknya.",
    "poll": "Terima kasih polingnya.",
    "dice": "🎲",
}
UNSUPPORTED_TAIL = (
    " Tapi saya hanya bisa membaca pesan teks. Tulis pertanyaanmu tentang Kartu Prakerja, "
    'misalnya "syarat daftar prakerja apa aja?", atau ketik /bantuan.'
)
CONTACT_NOT_NEEDED = (
    "Terima kasih, tapi saya hanya memerlukan nomor HP saat kamu cek status. Ketik /status "
    "kalau ingin cek status kepesertaanmu."
)
